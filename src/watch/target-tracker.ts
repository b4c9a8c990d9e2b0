import {
  BatchGetDeploymentTargetsCommand,
  ListDeploymentTargetsCommand,
  type CodeDeployClient,
  type DeploymentTarget,
  type LifecycleEvent
} from '@aws-sdk/client-codedeploy'
import { awsErrorName } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import { FINAL_EVENT_STATUSES, type InstanceState, type LifecycleEventState, type Overview } from './deployment-result.js'
import { carrySeen, ecsTraffic, lambdaTraffic, taskSetText, trafficText } from './traffic.js'

/** BatchGetDeploymentTargets takes at most this many ids. */
export const BATCH_LIMIT = 25
/**
 * Up to this many instances, a refresh reads every unfinished instance, so each lifecycle event
 * shows up in the log as it finishes. Above it, instances are read once, when they finish.
 */
export const SMALL_FLEET = 100
/** ListDeploymentTargets answers up to 100 ids a page: used to estimate what a listing costs. */
const PAGE = 100
const FINAL_TARGET = new Set(['Succeeded', 'Failed', 'Skipped'])
/** Listed in this order: failures are reported first; skipped instances are never read. */
const LISTED = ['Failed', 'Skipped', 'Succeeded'] as const

export interface RefreshOptions {
  /** The deployment has ended: read everything still unknown, whatever it costs. */
  final: boolean
  /** Calls this refresh may make (ignored when final). */
  allowance: number
  /** Awaited before every call: the watch's call budget paces the reads at the end with it. */
  beforeCall?: () => Promise<void>
  signal?: AbortSignal | undefined
}

/**
 * Keeps every instance of one deployment and its lifecycle events, reading only what can have
 * changed: finished instances are never read again, and in a big fleet the deployment's counts
 * say which statuses gained instances, so only those are listed (ListDeploymentTargets with a
 * TargetStatus filter) and only their new members read (BatchGetDeploymentTargets, 25 at a time).
 */
export class TargetTracker {
  private readonly byId = new Map<string, InstanceState>()
  /** Finished (known from a listing) but their lifecycle events not read yet. */
  private readonly unread = new Set<string>()
  /** API calls made so far, failed ones included. */
  calls = 0

  constructor(
    private readonly cd: CodeDeployClient,
    private readonly deploymentId: string
  ) {}

  get instances(): InstanceState[] {
    return [...this.byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  /** Whether a refresh could show something new for a deployment with these counts. */
  wants(overview: Overview): boolean {
    if (total(overview) <= SMALL_FLEET)
      return this.byId.size < total(overview) || [...this.byId.values()].some(i => !FINAL_TARGET.has(i.status))
    return this.unread.size > 0 || LISTED.some(status => overview[status] > this.count(status))
  }

  /** Returns the instances whose state changed since the last refresh. */
  async refresh(overview: Overview, opts: RefreshOptions): Promise<InstanceState[]> {
    const changed = new Map<string, InstanceState>()
    try {
      if (total(overview) <= SMALL_FLEET) await this.refreshAll(overview, opts, changed)
      else await this.refreshFinished(overview, opts, changed)
    } catch (error) {
      // A deployment still in Created has no targets yet.
      if (awsErrorName(error) !== 'DeploymentNotStartedException') throw error
    }
    return [...changed.values()]
  }

  /** A small fleet: every instance not known to be finished is read in full. */
  private async refreshAll(overview: Overview, opts: RefreshOptions, changed: Map<string, InstanceState>): Promise<void> {
    const listing = this.byId.size < total(overview) ? Math.ceil(total(overview) / PAGE) : 0
    const open = (): string[] => [...this.byId.values()].filter(i => !FINAL_TARGET.has(i.status) || this.unread.has(i.id)).map(i => i.id)
    if (!opts.final && listing + Math.ceil(Math.max(open().length, total(overview) - this.byId.size) / BATCH_LIMIT) > opts.allowance) return
    if (listing) {
      for (const id of await this.list(undefined, opts)) {
        if (!this.byId.has(id)) this.byId.set(id, { id, status: 'Pending', events: [] })
      }
    }
    await this.read(open(), changed, opts)
  }

  /** A big fleet: list the statuses whose count grew, then read the newly finished instances. */
  private async refreshFinished(overview: Overview, opts: RefreshOptions, changed: Map<string, InstanceState>): Promise<void> {
    let left = opts.allowance
    for (const status of LISTED) {
      if (overview[status] <= this.count(status)) continue
      if (!opts.final && Math.ceil(overview[status] / PAGE) >= left) break
      const before = this.calls
      for (const id of await this.list(status, opts)) {
        const known = this.byId.get(id)
        if (known?.status === status) continue
        const state: InstanceState = status === 'Skipped' || !known ? { id, status, events: known?.events ?? [] } : { ...known, status }
        this.byId.set(id, state)
        // An instance skipped before it ran has nothing to read: every one of its events is Skipped.
        if (status === 'Skipped') changed.set(id, state)
        else this.unread.add(id)
      }
      left -= this.calls - before
    }
    const due = [...this.unread].sort(
      (a, b) => Number(this.byId.get(b)?.status === 'Failed') - Number(this.byId.get(a)?.status === 'Failed')
    )
    await this.read(opts.final ? due : due.slice(0, Math.max(0, left) * BATCH_LIMIT), changed, opts)
  }

  private count(status: string): number {
    let n = 0
    for (const i of this.byId.values()) if (i.status === status) n++
    return n
  }

  private async read(ids: readonly string[], changed: Map<string, InstanceState>, opts: RefreshOptions): Promise<void> {
    for (let i = 0; i < ids.length; i += BATCH_LIMIT) {
      await opts.beforeCall?.()
      this.calls++
      const out = await this.cd.send(
        new BatchGetDeploymentTargetsCommand({
          deploymentId: this.deploymentId,
          targetIds: ids.slice(i, i + BATCH_LIMIT)
        }),
        abortable(opts.signal)
      )
      for (const target of out.deploymentTargets ?? []) {
        const next = toInstance(target)
        if (!next) continue
        const before = this.byId.get(next.id)
        if (next.traffic) carrySeen(before?.traffic, next.traffic)
        if (!before || fingerprint(before) !== fingerprint(next)) changed.set(next.id, next)
        this.byId.set(next.id, next)
        if (FINAL_TARGET.has(next.status)) this.unread.delete(next.id)
      }
    }
  }

  private async list(status: string | undefined, opts: RefreshOptions): Promise<string[]> {
    const ids: string[] = []
    let nextToken: string | undefined
    do {
      await opts.beforeCall?.()
      this.calls++
      const out = await this.cd.send(
        new ListDeploymentTargetsCommand({
          deploymentId: this.deploymentId,
          nextToken,
          ...(status ? { targetFilters: { TargetStatus: [status] } } : {})
        }),
        abortable(opts.signal)
      )
      ids.push(...(out.targetIds ?? []))
      nextToken = out.nextToken
    } while (nextToken)
    return ids
  }
}

function total(o: Overview): number {
  return o.Pending + o.InProgress + o.Succeeded + o.Failed + o.Skipped + o.Ready
}

/** An EC2/on-premises instance, an ECS service or a Lambda alias: the same events, plus traffic for the last two. */
function toInstance(target: DeploymentTarget): InstanceState | undefined {
  const t = target.instanceTarget ?? target.ecsTarget ?? target.lambdaTarget
  if (!t?.targetId) return undefined
  const state: InstanceState = { id: t.targetId, status: t.status ?? 'Unknown', events: (t.lifecycleEvents ?? []).map(toEvent) }
  if (target.ecsTarget) state.traffic = ecsTraffic(target.ecsTarget)
  else if (target.lambdaTarget) state.traffic = lambdaTraffic(target.lambdaTarget)
  return state
}

function toEvent(e: LifecycleEvent): LifecycleEventState {
  return {
    name: e.lifecycleEventName ?? '?',
    status: e.status ?? 'Unknown',
    startTime: e.startTime,
    endTime: e.endTime,
    diagnostics: e.diagnostics
      ? {
          errorCode: e.diagnostics.errorCode,
          scriptName: e.diagnostics.scriptName,
          message: e.diagnostics.message,
          logTail: e.diagnostics.logTail
        }
      : undefined
  }
}

function fingerprint(instance: InstanceState): string {
  const traffic = instance.traffic
    ? `|${trafficText(instance.traffic)}|${instance.traffic.platform === 'ECS' ? instance.traffic.taskSets.map(taskSetText).join(',') : ''}`
    : ''
  return `${instance.status}|${instance.events.map(e => `${e.name}:${e.status}`).join(',')}${traffic}`
}

export function isEventDone(event: LifecycleEventState): boolean {
  return FINAL_EVENT_STATUSES.has(event.status)
}
