/** What the watch knows about a deployment: plain values, shared by watch, progress and report. */

export interface Diagnostics {
  errorCode: string | undefined
  scriptName: string | undefined
  message: string | undefined
  logTail: string | undefined
}

export interface LifecycleEventState {
  name: string
  status: string
  startTime: Date | undefined
  endTime: Date | undefined
  diagnostics: Diagnostics | undefined
}

export interface InstanceState {
  id: string
  status: string
  events: LifecycleEventState[]
}

export interface FailedEvent extends Diagnostics {
  instanceId: string
  event: string
}

export type Overview = Record<'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped' | 'Ready', number>

export interface DeploymentResult {
  deploymentId: string
  group: string
  /** The last status seen (the final one unless the watch ended early). */
  status: string
  final: boolean
  timedOut: boolean
  cancelled: boolean
  errorCode: string | undefined
  errorMessage: string | undefined
  overview: Overview
  instances: InstanceState[]
  failures: FailedEvent[]
  rollbackDeploymentId: string | undefined
  createTime: Date | undefined
  completeTime: Date | undefined
  /** Set when the last attempts to reach CodeDeploy failed: the status above may be stale. */
  lostContact: string | undefined
}

export const FINAL_STATUSES = new Set(['Succeeded', 'Failed', 'Stopped'])
export const FINAL_EVENT_STATUSES = new Set(['Succeeded', 'Failed', 'Skipped'])

export function emptyOverview(): Overview {
  return { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 }
}

export function failuresOf(instances: readonly InstanceState[]): FailedEvent[] {
  const failures: FailedEvent[] = []
  for (const instance of instances) {
    for (const event of instance.events) {
      if (event.status === 'Failed') {
        failures.push({
          instanceId: instance.id,
          event: event.name,
          errorCode: event.diagnostics?.errorCode,
          scriptName: event.diagnostics?.scriptName,
          message: event.diagnostics?.message,
          logTail: event.diagnostics?.logTail
        })
      }
    }
  }
  return failures
}

export function seconds(start: Date | undefined, end: Date | undefined): number | undefined {
  return start && end ? Math.max(0, (end.getTime() - start.getTime()) / 1000) : undefined
}
