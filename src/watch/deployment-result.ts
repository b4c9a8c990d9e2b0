import type { ComputePlatform } from '../core/domain.js'

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
  /** ECS and Lambda targets: where production traffic stands. Absent for EC2/on-premises instances. */
  traffic?: Traffic
}

/** One task set of an ECS service: Blue serves production at the start, Green is the replacement. */
export interface TaskSetState {
  id: string
  label: string | undefined
  status: string | undefined
  trafficWeight: number | undefined
  desiredCount: number | undefined
  runningCount: number | undefined
  pendingCount: number | undefined
  targetGroup: string | undefined
}

export interface EcsTraffic {
  platform: 'ECS'
  taskSets: TaskSetState[]
  /** Green's share of production traffic, each distinct value the watch saw, in order. */
  seen: number[]
}

export interface LambdaTraffic {
  platform: 'Lambda'
  functionName: string | undefined
  alias: string | undefined
  currentVersion: string | undefined
  targetVersion: string | undefined
  /** Percent of the alias's traffic on targetVersion. */
  targetVersionWeight: number | undefined
  /** targetVersionWeight, each distinct value the watch saw, in order. */
  seen: number[]
}

export type Traffic = EcsTraffic | LambdaTraffic

export interface FailedEvent extends Diagnostics {
  instanceId: string
  event: string
}

export type Overview = Record<'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped' | 'Ready', number>

export interface DeploymentResult {
  deploymentId: string
  group: string
  /** From GetDeployment; undefined until the deployment was read. */
  computePlatform: ComputePlatform | undefined
  /** The last status seen (the final one unless the watch ended early). */
  status: string
  /** CodeDeploy's final word (Succeeded, Failed, Stopped): nothing about it will change any more. */
  final: boolean
  timedOut: boolean
  cancelled: boolean
  errorCode: string | undefined
  errorMessage: string | undefined
  overview: Overview
  instances: InstanceState[]
  failures: FailedEvent[]
  rollbackDeploymentId: string | undefined
  /** CodeDeploy's note on the rollback, e.g. why none was made. */
  rollbackMessage: string | undefined
  /** The rollback deployment, followed to its end (or as far as the deadline allowed). */
  rollback: DeploymentResult | undefined
  deploymentConfigName: string | undefined
  createTime: Date | undefined
  completeTime: Date | undefined
  /** Set when the last attempts to reach CodeDeploy failed: the status above may be stale. */
  lostContact: string | undefined
  /** Blue/green: the watch ended in the ready wait, CodeDeploy waiting for a manual reroute (status Ready). */
  readyWait?: ReadyWait | undefined
  /** Blue/green: the watch ended once traffic had moved, with only the original environment's termination wait left. */
  terminationWait?: TerminationWait | undefined
}

/** A blue/green deployment waiting for someone to reroute traffic. */
export interface ReadyWait {
  /** deploymentReadyOption.waitTimeInMinutes; undefined when the settings could not be read. */
  minutes: number | undefined
  /** deploymentReadyOption.actionOnTimeout: STOP_DEPLOYMENT (or CONTINUE_DEPLOYMENT). */
  action: string | undefined
  /** When CodeDeploy acts on its own, if it does. */
  endsAt: Date | undefined
}

/** Traffic moved; the original environment is kept until `terminatesAt`. */
export interface TerminationWait {
  /** terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes; undefined when unknown. */
  minutes: number | undefined
  terminatesAt: Date | undefined
}

export const FINAL_STATUSES = new Set(['Succeeded', 'Failed', 'Stopped'])
/** Blue/green: the new instances are ready and CodeDeploy waits for someone to reroute traffic. */
export const READY = 'Ready'
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
