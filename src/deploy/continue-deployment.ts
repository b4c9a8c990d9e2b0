import { ContinueDeploymentCommand, StopDeploymentCommand, type DeploymentInfo, type DeploymentWaitType } from '@aws-sdk/client-codedeploy'
import type { StageDeps } from '../core/deps.js'
import { ActionError, awsErrorName } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import { explainAwsError } from '../aws/service-errors.js'

const FINAL = new Set(['Succeeded', 'Failed', 'Stopped'])

/**
 * Which wait ContinueDeployment ends for this deployment: READY_WAIT when it is Ready (traffic not
 * yet rerouted), TERMINATION_WAIT when traffic has moved and the original environment waits to be
 * terminated. Anything else has nothing to continue: one error naming deployment-id.
 */
export function waitToEnd(info: DeploymentInfo): DeploymentWaitType {
  const id = info.deploymentId ?? '?'
  const status = info.status ?? 'Unknown'
  if (status === 'Ready') return 'READY_WAIT'
  if (status === 'InProgress' && info.instanceTerminationWaitTimeStarted) return 'TERMINATION_WAIT'
  if (FINAL.has(status)) {
    throw new ActionError(`names deployment ${id}, which has already ended (${status}): there is nothing to continue.`, {
      input: 'deployment-id',
      fix: 'give the id of a blue/green deployment that is Ready or in its termination wait, or use `command: watch` to report on this one.'
    })
  }
  const blueGreen = info.deploymentStyle?.deploymentType === 'BLUE_GREEN'
  throw new ActionError(
    `names deployment ${id}, which is ${status} and not waiting${blueGreen ? '' : ' (an in-place deployment never waits)'}: there is nothing to continue.`,
    {
      input: 'deployment-id',
      fix: blueGreen
        ? 'use `command: watch` to follow it; continue it once it is Ready (traffic not rerouted yet) or in its termination wait.'
        : 'continue applies to blue/green deployments only; use `command: watch` to follow this one.'
    }
  )
}

/** ContinueDeployment: reroutes traffic (READY_WAIT) or terminates the original environment now (TERMINATION_WAIT). */
export async function continueDeployment(
  deploymentId: string,
  waitType: DeploymentWaitType,
  deps: Pick<StageDeps, 'clients' | 'signal'>
): Promise<void> {
  try {
    await deps.clients.codedeploy.send(
      new ContinueDeploymentCommand({ deploymentId, deploymentWaitType: waitType }),
      abortable(deps.signal)
    )
  } catch (error) {
    const name = awsErrorName(error)
    if (
      name === 'DeploymentIsNotInReadyStateException' ||
      name === 'DeploymentAlreadyCompletedException' ||
      name === 'InvalidDeploymentStatusException'
    ) {
      throw new ActionError(`names deployment ${deploymentId}, which CodeDeploy will not continue now (${name}).`, {
        input: 'deployment-id',
        fix: 'check its state in the console (it may have been continued or stopped meanwhile), or use `command: watch` to follow it.',
        code: name,
        cause: error
      })
    }
    if (name === 'UnsupportedActionForDeploymentTypeException') {
      throw new ActionError(`names deployment ${deploymentId}, an in-place deployment: only blue/green deployments can be continued.`, {
        input: 'deployment-id',
        fix: 'use `command: watch` to follow it.',
        code: name,
        cause: error
      })
    }
    throw explainAwsError(error, `continuing deployment ${deploymentId}`, 'codedeploy:ContinueDeployment', `deployment ${deploymentId}`)
  }
}

/** StopDeployment asked for by `command: stop`; `autoRollback` is the auto-rollback-on-stop input. */
export async function stopOnRequest(
  info: DeploymentInfo,
  autoRollback: boolean,
  deps: Pick<StageDeps, 'clients' | 'signal'>
): Promise<string> {
  const id = info.deploymentId ?? '?'
  if (FINAL.has(info.status ?? '')) throw alreadyEnded(id, info.status ?? 'ended')
  try {
    const out = await deps.clients.codedeploy.send(
      new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: autoRollback }),
      abortable(deps.signal)
    )
    return `${out.status ?? 'Pending'}${out.statusMessage ? `: ${out.statusMessage}` : ''}`
  } catch (error) {
    if (awsErrorName(error) === 'DeploymentAlreadyCompletedException') throw alreadyEnded(id, 'ended')
    throw explainAwsError(error, `stopping deployment ${id}`, 'codedeploy:StopDeployment', `deployment ${id}`)
  }
}

function alreadyEnded(id: string, status: string): ActionError {
  return new ActionError(`names deployment ${id}, which has already ended (${status}): there is nothing to stop.`, {
    input: 'deployment-id',
    fix: 'give the id of a deployment that is still running, or use `command: watch` to report on this one.',
    code: 'DeploymentAlreadyCompletedException'
  })
}
