import { StopDeploymentCommand } from '@aws-sdk/client-codedeploy'
import type { StageDeps } from '../core/deps.js'
import { awsErrorName, describeError } from '../core/errors.js'

/**
 * StopDeployment for a cancelled workflow; the group's auto-rollback settings apply. Bounded in
 * time: the runner kills the process 7.5 s after its first signal.
 */
export async function stopDeployment(
  deploymentId: string,
  deps: Pick<StageDeps, 'clients'>,
  timeoutMs = 5000
): Promise<{ stopped: boolean; message: string }> {
  try {
    const out = await deps.clients.codedeploy.send(new StopDeploymentCommand({ deploymentId }), {
      abortSignal: AbortSignal.timeout(timeoutMs)
    })
    return {
      stopped: true,
      message:
        `Stopping deployment ${deploymentId} because the workflow was cancelled: StopDeployment ` +
        `accepted (${out.status ?? 'Pending'}${out.statusMessage ? `: ${out.statusMessage}` : ''}). The deployment group's rollback ` +
        `settings apply.`
    }
  } catch (error) {
    if (awsErrorName(error) === 'DeploymentAlreadyCompletedException') {
      return { stopped: false, message: `Deployment ${deploymentId} had already ended; nothing to stop.` }
    }
    return { stopped: false, message: `Could not stop deployment ${deploymentId}: ${describeError(error)}. Stop it in the console.` }
  }
}
