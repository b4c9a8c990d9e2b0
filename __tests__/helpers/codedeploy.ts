import type { CodeDeployClient, DeploymentInfo } from '@aws-sdk/client-codedeploy'

/** Answers one command (or throws, like the SDK does for a service error). */
export type Handler = (input: Record<string, unknown>, call: number) => unknown

export interface Call {
  command: string
  input: Record<string, unknown>
  /** When it was sent, on the clock given to the constructor (0 without one). */
  at: number
}

/**
 * A stand-in for CodeDeployClient: `send` dispatches on the command's class name
 * (`GetDeploymentCommand` -> handlers.GetDeployment) and records every call. A request whose
 * abort signal has fired fails with an AbortError, as the SDK's does.
 */
export class FakeCodeDeploy {
  readonly calls: Call[] = []

  constructor(
    private readonly handlers: Partial<Record<string, Handler>>,
    private readonly clock?: { now(): number }
  ) {}

  get client(): CodeDeployClient {
    return {
      send: (command: object, options?: { abortSignal?: AbortSignal }) => this.send(command, options)
    } as unknown as CodeDeployClient
  }

  /** Replaces one command's handler; `make` gets the current one, to delegate to. */
  wrap(command: string, make: (previous: Handler) => Handler): void {
    const previous = this.handlers[command]
    if (!previous) throw new Error(`FakeCodeDeploy: no handler for ${command} to wrap`)
    this.handlers[command] = make(previous)
  }

  count(command: string): number {
    return this.calls.filter(c => c.command === command).length
  }

  /** The most calls sent in any 60 s window. */
  busiestMinute(): number {
    let busiest = 0
    for (let first = 0, last = 0; last < this.calls.length; last++) {
      while (this.calls[last]!.at - this.calls[first]!.at >= 60_000) first++
      busiest = Math.max(busiest, last - first + 1)
    }
    return busiest
  }

  inputs(command: string): Array<Record<string, unknown>> {
    return this.calls.filter(c => c.command === command).map(c => c.input)
  }

  private async send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, '')
    const input = (command as { input: Record<string, unknown> }).input
    const call = this.count(name)
    this.calls.push({ command: name, input, at: this.clock?.now() ?? 0 })
    await Promise.resolve()
    if (options?.abortSignal?.aborted) throw Object.assign(new Error('Request aborted'), { name: 'AbortError' })
    const handler = this.handlers[name]
    if (!handler) throw new Error(`FakeCodeDeploy: no handler for ${name}`)
    return handler(input, call)
  }
}

/** An error shaped like the SDK's service exceptions. */
export function awsError(name: string, httpStatusCode = 400, message = `${name} (simulated)`): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } })
}

export interface FakeEvent {
  name: string
  status: string
  start?: number
  end?: number
  diagnostics?: { errorCode?: string; scriptName?: string; message?: string; logTail?: string }
}

export interface FakeTarget {
  id: string
  status: string
  events: FakeEvent[]
}

/** Where a deployment stands at one moment. */
export interface Snapshot {
  status: string
  overview?: Partial<Record<'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped' | 'Ready', number>>
  errorInformation?: { code: string; message: string }
  rollbackDeploymentId?: string
  rollbackMessage?: string
  /** The deployment's autoRollbackConfiguration is enabled (on failure and on stop). */
  autoRollback?: boolean
  deploymentConfigName?: string
  targets?: FakeTarget[]
}

/**
 * Handlers for GetDeployment, ListDeploymentTargets (paged, TargetStatus filter) and BatchGetDeploymentTargets that
 * answer from `at(elapsed ms, GetDeployment call number)`: a deployment moving along a timeline.
 * A handler in `override` replaces the generated one (e.g. to throw).
 */
export function deploymentHandlers(
  clock: { now(): number },
  at: (elapsedMs: number, call: number) => Snapshot,
  options: { deploymentId?: string; pageSize?: number; override?: Partial<Record<string, Handler>> } = {}
): Partial<Record<string, Handler>> {
  const deploymentId = options.deploymentId ?? 'd-TESTDEPLOY'
  const pageSize = options.pageSize ?? 100
  const start = clock.now()
  let calls = 0
  const current = (): Snapshot => at(clock.now() - start, calls)
  return {
    GetDeployment: (_input, call) => {
      calls = call
      const s = current()
      const info: DeploymentInfo = {
        deploymentId,
        applicationName: 'app',
        deploymentGroupName: 'group',
        status: s.status as DeploymentInfo['status'],
        deploymentOverview: s.overview,
        createTime: new Date(start),
        ...(s.deploymentConfigName ? { deploymentConfigName: s.deploymentConfigName } : {}),
        ...(s.autoRollback
          ? { autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] } }
          : {}),
        ...(s.errorInformation
          ? {
              errorInformation: {
                code: s.errorInformation.code as NonNullable<DeploymentInfo['errorInformation']>['code'],
                message: s.errorInformation.message
              }
            }
          : {}),
        ...(s.rollbackDeploymentId || s.rollbackMessage
          ? { rollbackInfo: { rollbackDeploymentId: s.rollbackDeploymentId, rollbackMessage: s.rollbackMessage } }
          : {})
      }
      return { deploymentInfo: info }
    },
    ListDeploymentTargets: input => {
      const wanted = (input['targetFilters'] as { TargetStatus?: string[] } | undefined)?.TargetStatus
      const ids = (current().targets ?? []).filter(t => !wanted || wanted.includes(t.status)).map(t => t.id)
      const from = input['nextToken'] ? Number(input['nextToken']) : 0
      const next = from + pageSize
      return { targetIds: ids.slice(from, next), ...(next < ids.length ? { nextToken: String(next) } : {}) }
    },
    BatchGetDeploymentTargets: input => {
      const wanted = new Set(input['targetIds'] as string[])
      const targets = (current().targets ?? []).filter(t => wanted.has(t.id))
      return {
        deploymentTargets: targets.map(t => ({
          deploymentTargetType: 'InstanceTarget',
          instanceTarget: {
            deploymentId,
            targetId: t.id,
            status: t.status,
            lifecycleEvents: t.events.map(e => ({
              lifecycleEventName: e.name,
              status: e.status,
              ...(e.start !== undefined ? { startTime: new Date(start + e.start) } : {}),
              ...(e.end !== undefined ? { endTime: new Date(start + e.end) } : {}),
              ...(e.diagnostics ? { diagnostics: e.diagnostics } : {})
            }))
          }
        }))
      }
    },
    ...options.override
  }
}

/** The lifecycle events of an ECS blue/green deployment, in order. */
export const ECS_EVENTS = [
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'AllowTestTraffic',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic'
]

/** The lifecycle events of a Lambda deployment, in order. */
export const LAMBDA_EVENTS = ['BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic']

export const EC2_EVENTS = [
  'ApplicationStop',
  'DownloadBundle',
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService'
]

/**
 * One instance that finishes one lifecycle event every `stepMs`, starting at `offsetMs`;
 * `failAt` names an event that fails (the rest are then Skipped).
 */
export function instanceAt(
  id: string,
  elapsedMs: number,
  options: { offsetMs?: number; stepMs?: number; failAt?: string; logTail?: string } = {}
): FakeTarget {
  const step = options.stepMs ?? 2000
  const offset = options.offsetMs ?? 0
  const events: FakeEvent[] = []
  let failed = false
  let allDone = true
  for (const [i, name] of EC2_EVENTS.entries()) {
    const begin = offset + i * step
    const end = begin + step
    if (failed) {
      events.push({ name, status: 'Skipped' })
    } else if (elapsedMs >= end && name === options.failAt) {
      failed = true
      events.push({
        name,
        status: 'Failed',
        start: begin,
        end,
        diagnostics: {
          errorCode: 'ScriptFailed',
          scriptName: 'scripts/start.sh',
          message: 'Script at specified location: scripts/start.sh run as user root failed with exit code 1',
          logTail: options.logTail ?? '[stderr]boom'
        }
      })
    } else if (elapsedMs >= end) {
      events.push({ name, status: 'Succeeded', start: begin, end })
    } else {
      allDone = false
      events.push(elapsedMs >= begin ? { name, status: 'InProgress', start: begin } : { name, status: 'Pending' })
    }
  }
  const status = failed ? 'Failed' : allDone ? 'Succeeded' : elapsedMs >= offset ? 'InProgress' : 'Pending'
  return { id, status, events }
}

/** The overview CodeDeploy would report for these targets. */
export function overviewOf(targets: readonly FakeTarget[]): NonNullable<Snapshot['overview']> {
  const o = { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 }
  for (const t of targets) {
    const key = t.status as keyof typeof o
    if (key in o) o[key]++
  }
  return o
}
