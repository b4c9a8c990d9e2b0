import type { DeploymentInfo } from '@aws-sdk/client-codedeploy'
import { seconds, type InstanceState } from './deployment-state.js'
import { isEventDone } from './targets.js'

/** Where progress goes: the job log, and error annotations for failed hooks. */
export interface ProgressOutput {
  info(line: string): void
  error(message: string, title: string): void
}

/**
 * Turns successive snapshots of a deployment into log lines, each change printed once: status,
 * instance counts, every lifecycle event as it finishes, and a failed hook with its diagnostics.
 */
export class ProgressPrinter {
  private lastStatus = ''
  private lastCounts = ''
  private readonly printed = new Set<string>()
  private readonly instanceStatus = new Map<string, string>()

  constructor(private readonly out: ProgressOutput, private readonly prefix = '') {}

  deployment(info: DeploymentInfo): void {
    const status = info.status ?? 'Unknown'
    const o = info.deploymentOverview
    const counts = o
      ? (['Pending', 'InProgress', 'Succeeded', 'Failed', 'Skipped', 'Ready'] as const)
          .filter(k => (o[k] ?? 0) > 0)
          .map(k => `${k} ${o[k]}`)
          .join(', ')
      : ''
    if (status !== this.lastStatus || counts !== this.lastCounts) {
      this.out.info(`${this.prefix}Deployment ${info.deploymentId} ${status}${counts ? ` (instances: ${counts})` : ''}`)
      this.lastStatus = status
      this.lastCounts = counts
    }
  }

  instances(changed: readonly InstanceState[]): void {
    for (const instance of changed) {
      for (const event of instance.events) {
        const key = `${instance.id}/${event.name}`
        if (!isEventDone(event) || this.printed.has(key)) continue
        this.printed.add(key)
        const took = seconds(event.startTime, event.endTime)
        this.out.info(`${this.prefix}  ${instance.id}  ${event.name.padEnd(16)} ${event.status}${took === undefined ? '' : ` ${took.toFixed(1)}s`}`)
        if (event.status === 'Failed') this.failure(instance.id, event.name, event.diagnostics)
      }
      if (this.instanceStatus.get(instance.id) !== instance.status && ['Succeeded', 'Failed', 'Skipped'].includes(instance.status)) {
        this.out.info(`${this.prefix}  ${instance.id}  ${instance.status}`)
      }
      this.instanceStatus.set(instance.id, instance.status)
    }
  }

  private failure(instanceId: string, event: string, d: InstanceState['events'][number]['diagnostics']): void {
    const what = [d?.errorCode, d?.scriptName ? `in ${d.scriptName}` : undefined].filter(Boolean).join(' ')
    this.out.error(`${what ? `${what}: ` : ''}${d?.message ?? 'no diagnostics reported'}`, `${this.prefix}${instanceId} failed ${event}`)
    const tail = d?.logTail?.trimEnd()
    if (tail) {
      this.out.info(`${this.prefix}    log tail of ${d?.scriptName ?? event} on ${instanceId}:`)
      for (const line of tail.split(/\r?\n/)) this.out.info(`${this.prefix}    | ${line}`)
    }
  }
}
