import { GetDeploymentCommand, type DeploymentInfo } from '@aws-sdk/client-codedeploy'
import type { StageDeps } from '../core/deps.js'
import { untilDeadline } from '../aws/clients.js'
import type { CallBudget } from './call-budget.js'

/** How long to wait, twice at most, for CodeDeploy to link the rollback it starts. */
const LINK_WAIT_MS = 2000

/**
 * CodeDeploy can report a deployment Failed (or Stopped) a moment before `rollbackInfo` names the
 * rollback it starts. When the deployment's own settings say a rollback should follow, read it
 * again briefly, so the rollback is reported and followed rather than missed.
 */
export async function awaitRollbackInfo(
  info: DeploymentInfo,
  deps: Pick<StageDeps, 'clients' | 'clock' | 'signal' | 'deadline'>,
  budget: CallBudget
): Promise<DeploymentInfo> {
  const { clock, signal } = deps
  let current = info
  for (let attempt = 0; attempt < 2 && rollbackExpected(current) && !signal.aborted; attempt++) {
    await clock.sleep(LINK_WAIT_MS, signal)
    await budget.take(signal, true)
    try {
      current =
        (await deps.clients.codedeploy.send(new GetDeploymentCommand({ deploymentId: info.deploymentId }), untilDeadline(deps)))
          .deploymentInfo ?? current
    } catch {
      return current
    }
  }
  return current
}

function rollbackExpected(info: DeploymentInfo): boolean {
  const config = info.autoRollbackConfiguration
  const linked =
    info.rollbackInfo?.rollbackDeploymentId || info.rollbackInfo?.rollbackMessage || info.rollbackInfo?.rollbackTriggeringDeploymentId
  if (!config?.enabled || linked) return false
  const events = config.events ?? []
  if (info.status === 'Failed') return events.includes('DEPLOYMENT_FAILURE')
  if (info.status === 'Stopped') return events.includes('DEPLOYMENT_STOP_ON_REQUEST') || events.includes('DEPLOYMENT_STOP_ON_ALARM')
  return false
}
