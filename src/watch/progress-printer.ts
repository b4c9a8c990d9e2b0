import type { DeploymentInfo } from '@aws-sdk/client-codedeploy'
import type { ComputePlatform } from '../core/domain.js'
import {
  FINAL_EVENT_STATUSES,
  seconds,
  type Diagnostics,
  type InstanceState,
  type LifecycleEventState,
  type Traffic
} from './deployment-result.js'
import { targetNoun, taskSetText, trafficText } from './traffic.js'

/** Where progress goes: the job log, and error annotations for failed hooks. */
export interface ProgressOutput {
  info(line: string): void
  error(message: string, title: string): void
  /** Lines folded under a title (a log group). Without it they are printed as they are. */
  block?(title: string, lines: readonly string[]): void
}

export interface InstancesOptions {
  /** A big fleet: one line per instance when it finishes, routine lines folded into a group. */
  compact?: boolean
}

/** GitHub shows at most 10 error annotations per step; further failures are told in the log. */
const MAX_ANNOTATIONS = 10
/** Distinct log tails printed in full; an identical one is referred to, not repeated. */
const MAX_TAILS = 25
const COUNTS = ['Pending', 'InProgress', 'Succeeded', 'Failed', 'Skipped', 'Ready'] as const
const FINAL_INSTANCE = new Set(['Succeeded', 'Failed', 'Skipped'])

/**
 * Turns successive snapshots of a deployment into log lines, each change printed once: status,
 * instance counts, every lifecycle event as it finishes (with its duration), and each failed hook
 * with its diagnostics and log tail.
 */
export class ProgressPrinter {
  private lastLine = ''
  private readonly printed = new Set<string>()
  private readonly finished = new Set<string>()
  private readonly tails = new Map<string, string>()
  /** The last line printed about each ECS task set and each target's traffic. */
  private readonly states = new Map<string, string>()
  private failures = 0

  constructor(
    private readonly out: ProgressOutput,
    private readonly prefix = ''
  ) {}

  /** A printer for another deployment (a rollback), its lines marked by `prefix`. */
  child(prefix: string): ProgressPrinter {
    return new ProgressPrinter(this.out, `${this.prefix}${prefix}`)
  }

  /** A line of its own, e.g. that a rollback is being followed. */
  note(line: string): void {
    this.out.info(`${this.prefix}${line}`)
  }

  deployment(info: DeploymentInfo): void {
    const o = info.deploymentOverview
    const counts = o
      ? COUNTS.filter(k => (o[k] ?? 0) > 0)
          .map(k => `${k} ${o[k]}`)
          .join(', ')
      : ''
    const noun = targetNoun(info.computePlatform as ComputePlatform | undefined)
    const line = `${this.prefix}Deployment ${info.deploymentId} ${info.status ?? 'Unknown'}${counts ? ` (${noun}: ${counts})` : ''}`
    if (line !== this.lastLine) this.out.info(line)
    this.lastLine = line
  }

  instances(changed: readonly InstanceState[], options: InstancesOptions = {}): void {
    const routine: string[] = []
    const failed: Array<[string, LifecycleEventState]> = []
    const skipped: string[] = []
    for (const instance of changed) {
      const final = FINAL_INSTANCE.has(instance.status)
      if (this.finished.has(instance.id)) continue
      if (final && instance.events.length === 0) {
        skipped.push(instance.id)
        this.finished.add(instance.id)
        continue
      }
      if (options.compact) {
        if (!final) continue
        routine.push(`${this.prefix}  ${instance.id}  ${instance.status.padEnd(9)} ${instance.events.map(compactEvent).join(', ')}`)
        failed.push(...instance.events.filter(e => e.status === 'Failed').map((e): [string, LifecycleEventState] => [instance.id, e]))
      } else {
        // Traffic first: an event that moves traffic finishes after the move.
        if (instance.traffic) this.traffic(instance.id, instance.traffic)
        for (const event of instance.events) {
          const key = `${instance.id}/${event.name}`
          if (!FINAL_EVENT_STATUSES.has(event.status) || this.printed.has(key)) continue
          this.printed.add(key)
          const duration = took(event)
          // ECS event names run longer (AfterAllowTestTraffic): a wider column keeps them aligned.
          const name = event.name.padEnd(instance.traffic ? 21 : 16)
          this.out.info(`${this.prefix}  ${instance.id}  ${name} ${event.status}${duration ? ` ${duration}` : ''}`)
          if (event.status === 'Failed') this.failure(instance.id, event, instance.traffic !== undefined)
        }
        if (final) this.out.info(`${this.prefix}  ${instance.id}  ${instance.status}`)
      }
      if (final) this.finished.add(instance.id)
    }
    this.routine(routine)
    for (const [id, event] of failed) this.failure(id, event)
    this.skipped(skipped)
  }

  /** ECS task sets and the traffic split, a line each time one changes. */
  private traffic(id: string, t: Traffic): void {
    if (t.platform === 'ECS') {
      for (const set of t.taskSets) this.once(`${id}\0${set.id}`, id, `task set ${taskSetText(set)}`)
    }
    const split = trafficText(t)
    if (split) this.once(`${id}\0traffic`, id, `traffic ${split}`)
  }

  private once(key: string, id: string, text: string): void {
    if (this.states.get(key) === text) return
    this.states.set(key, text)
    this.out.info(`${this.prefix}  ${id}  ${text}`)
  }

  private routine(lines: string[]): void {
    if (lines.length === 0) return
    if (lines.length > 1 && this.out.block) {
      const statuses = new Map<string, number>()
      for (const line of lines) {
        const status = line.slice(this.prefix.length).trim().split(/\s+/)[1] ?? ''
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
      }
      const tally = [...statuses].map(([s, n]) => `${n} ${s}`).join(', ')
      this.out.block(`${this.prefix}${lines.length} instances finished: ${tally}`, lines)
      return
    }
    for (const line of lines) this.out.info(line)
  }

  private skipped(ids: string[]): void {
    if (ids.length === 0) return
    if (ids.length <= 3) {
      for (const id of ids) this.out.info(`${this.prefix}  ${id}  Skipped`)
      return
    }
    const shown = ids.slice(0, 10).join(', ')
    this.out.info(`${this.prefix}  ${ids.length} instances Skipped: ${shown}${ids.length > 10 ? `, … (${ids.length - 10} more)` : ''}`)
  }

  /** `hook`: an ECS or Lambda target, whose scriptName is the hook's Lambda function. */
  private failure(instanceId: string, event: LifecycleEventState, hook = false): void {
    const d: Diagnostics | undefined = event.diagnostics
    const what = [d?.errorCode, d?.scriptName ? `in ${hook ? 'hook function ' : ''}${d.scriptName}` : undefined].filter(Boolean).join(' ')
    const text = `${what ? `${what}: ` : ''}${d?.message || 'no diagnostics reported'}`
    this.failures++
    if (this.failures <= MAX_ANNOTATIONS) {
      this.out.error(text, `${this.prefix}${instanceId} failed ${event.name}`)
    } else {
      if (this.failures === MAX_ANNOTATIONS + 1)
        this.out.info(
          `${this.prefix}    (GitHub shows ${MAX_ANNOTATIONS} error annotations per step: further failures are in the log only)`
        )
      this.out.info(`${this.prefix}    ${instanceId} failed ${event.name}:`)
      this.quote(text)
    }
    const tail = d?.logTail?.trimEnd()
    if (!tail) return
    const seen = this.tails.get(tail)
    if (seen) {
      this.out.info(`${this.prefix}    log tail of ${d?.scriptName || event.name} on ${instanceId}: the same as on ${seen}`)
      return
    }
    if (this.tails.size >= MAX_TAILS) {
      this.out.info(
        `${this.prefix}    log tail of ${d?.scriptName || event.name} on ${instanceId}: left out (${MAX_TAILS} different ones shown ` +
          `already)`
      )
      return
    }
    this.tails.set(tail, instanceId)
    this.out.info(`${this.prefix}    log tail of ${d?.scriptName || event.name} on ${instanceId}:`)
    this.quote(tail)
  }

  /**
   * CodeDeploy's text (a hook's message, its log tail), a `| ` before each line. The runner also
   * ends a line at a lone \r: split there too, so no text from an instance starts a line (a forged ::command::).
   */
  private quote(text: string): void {
    for (const line of text.split(/\r\n|\r|\n/)) this.out.info(`${this.prefix}    | ${line}`)
  }
}

function compactEvent(e: LifecycleEventState): string {
  const duration = took(e)
  return [e.name, e.status === 'Succeeded' ? undefined : e.status, duration].filter(Boolean).join(' ')
}

function took(event: LifecycleEventState): string | undefined {
  const s = seconds(event.startTime, event.endTime)
  return s === undefined ? undefined : `${s.toFixed(1)}s`
}
