import { GetDeploymentGroupCommand, type BlueGreenDeploymentConfiguration, type DeploymentInfo } from '@aws-sdk/client-codedeploy'
import type { StageDeps } from '../core/deps.js'
import { abortable } from '../aws/clients.js'
import { FINAL_EVENT_STATUSES, type InstanceState, type Overview, type ReadyWait, type TerminationWait } from './deployment-result.js'

/**
 * The two waits of a blue/green deployment, from its blueGreenDeploymentConfiguration: the ready
 * wait (replacement ready, traffic not yet rerouted) and the termination wait (traffic moved, the
 * original environment kept for terminationWaitTimeInMinutes before it is terminated).
 */
export interface BlueGreenWaits {
  /** CONTINUE_DEPLOYMENT: traffic is rerouted by itself after `readyMinutes`; STOP_DEPLOYMENT: only by ContinueDeployment. */
  readyAction: string | undefined
  readyMinutes: number
  /** TERMINATE or KEEP_ALIVE (no termination wait then). */
  terminationAction: string | undefined
  terminationMinutes: number
}

export function waitsOf(config: BlueGreenDeploymentConfiguration | undefined): BlueGreenWaits | undefined {
  if (!config) return undefined
  return {
    readyAction: config.deploymentReadyOption?.actionOnTimeout,
    readyMinutes: config.deploymentReadyOption?.waitTimeInMinutes ?? 0,
    terminationAction: config.terminateBlueInstancesOnDeploymentSuccess?.action,
    terminationMinutes: config.terminateBlueInstancesOnDeploymentSuccess?.terminationWaitTimeInMinutes ?? 0
  }
}

/**
 * The deployment's blue/green settings: its own copy, else (a service that leaves it out of
 * GetDeployment) the group's. Undefined for an in-place deployment, or when neither can be read.
 */
export async function blueGreenWaits(
  info: DeploymentInfo,
  deps: Pick<StageDeps, 'clients' | 'signal'>
): Promise<BlueGreenWaits | undefined> {
  if (info.blueGreenDeploymentConfiguration) return waitsOf(info.blueGreenDeploymentConfiguration)
  if (info.deploymentStyle?.deploymentType !== 'BLUE_GREEN' || !info.applicationName || !info.deploymentGroupName) return undefined
  try {
    const out = await deps.clients.codedeploy.send(
      new GetDeploymentGroupCommand({ applicationName: info.applicationName, deploymentGroupName: info.deploymentGroupName }),
      abortable(deps.signal)
    )
    return waitsOf(out.deploymentGroupInfo?.blueGreenDeploymentConfiguration)
  } catch {
    // Only the time-out's extension and the wording depend on it: the watch goes on without.
    return undefined
  }
}

/**
 * Minutes the step's deadline grows by for the waits it will sit through: an automatic reroute's
 * ready wait, and the termination wait when wait-for-termination asks to wait through it.
 */
export function deadlineExtensionMinutes(w: BlueGreenWaits | undefined, waitForTermination: boolean): number {
  if (!w) return 0
  const ready = w.readyAction === 'CONTINUE_DEPLOYMENT' ? w.readyMinutes : 0
  const termination = waitForTermination && w.terminationAction !== 'KEEP_ALIVE' ? w.terminationMinutes : 0
  return ready + termination
}

/** Ready that only ContinueDeployment (or the console) ends: the step stops watching there. */
export function waitsForManualReroute(w: BlueGreenWaits | undefined): boolean {
  return w?.readyAction !== 'CONTINUE_DEPLOYMENT'
}

/**
 * Traffic has moved and only the original environment's termination wait remains: CodeDeploy
 * says the wait started and no target has a lifecycle event left to run.
 */
export function inTerminationWait(info: DeploymentInfo, overview: Overview, instances: readonly InstanceState[]): boolean {
  if (!info.instanceTerminationWaitTimeStarted || info.status !== 'InProgress') return false
  if (overview.Pending + overview.Ready > 0) return false
  // An ECS service stays InProgress through the wait: its events say it is done.
  const known = instances.length >= overview.InProgress + overview.Succeeded + overview.Failed + overview.Skipped
  return overview.InProgress === 0 || (known && instances.every(i => i.events.every(e => FINAL_EVENT_STATUSES.has(e.status))))
}

/** When the last lifecycle event of any target ended: when the wait that follows began. */
function lastEventEnd(instances: readonly InstanceState[]): number | undefined {
  const ends = instances.flatMap(i => i.events.map(e => e.endTime?.getTime())).filter((t): t is number => t !== undefined)
  return ends.length ? Math.max(...ends) : undefined
}

export function terminationWaitOf(w: BlueGreenWaits | undefined, instances: readonly InstanceState[], seenAt: number): TerminationWait {
  const minutes = w?.terminationMinutes
  const start = lastEventEnd(instances) ?? seenAt
  return { minutes, terminatesAt: minutes === undefined ? undefined : new Date(start + minutes * 60_000) }
}

export function readyWaitOf(w: BlueGreenWaits | undefined, instances: readonly InstanceState[], seenAt: number): ReadyWait {
  const minutes = w?.readyMinutes
  const start = lastEventEnd(instances) ?? seenAt
  return {
    minutes,
    action: w?.readyAction,
    endsAt: minutes === undefined || minutes === 0 ? undefined : new Date(start + minutes * 60_000)
  }
}

/** `2026-11-30 21:05 UTC`: unambiguous for whoever reads the log, wherever they are. */
export function utcTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}
