import { GetDeploymentCommand, type DeploymentInfo } from '@aws-sdk/client-codedeploy'
import type { StageDeps } from '../core/deps.js'
import { ActionError, awsErrorName } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import { explainAwsError } from '../aws/service-errors.js'
import { consoleUrl } from '../deploy/console-url.js'
import { continueDeployment, stopOnRequest, waitToEnd } from '../deploy/continue-deployment.js'
import { ProgressPrinter } from '../watch/progress-printer.js'
import { watchDeployment } from '../watch/watch-deployment.js'
import type { GroupOutcome } from '../report/run-report.js'
import { stageDeps, type CommandContext } from './context.js'

/** How long `continue` waits for CodeDeploy to leave Ready after ContinueDeployment, before watching. */
const LEAVE_READY_MS = 30_000

/**
 * watch, continue and stop: the deployment named by deployment-id, followed to its end with the
 * same streaming, diagnosis, summary and outputs as deploy. Its application and group come from
 * GetDeployment and stand in for the inputs from then on (the report names them).
 */
export async function runOnDeployment(ctx: CommandContext): Promise<void> {
  const { settings: s, log, report } = ctx
  const id = s.deploymentId
  if (!id) throw new ActionError(`needs a deployment id.`, { input: 'deployment-id', fix: 'set deployment-id.' })
  const deps = stageDeps(ctx)
  const info = await log.group('Find the deployment', async () => {
    const found = await readDeployment(id, deps)
    checkInputsMatch(found, s.applicationName, s.deploymentGroups)
    log.info(
      `Deployment ${id}: ${found.applicationName}/${found.deploymentGroupName}, ${found.status ?? 'Unknown'}` +
        `${found.deploymentStyle?.deploymentType === 'BLUE_GREEN' ? ', blue/green' : ''}.`
    )
    return found
  })
  const group = info.deploymentGroupName ?? '?'
  s.applicationName = info.applicationName ?? s.applicationName
  s.deploymentGroups = [group]
  s.sha ||= shaOfRevision(info)
  const platform = info.computePlatform
  if (platform === 'Server' || platform === 'ECS' || platform === 'Lambda') report.computePlatform = platform
  const outcome: GroupOutcome = { group, deploymentId: id, url: consoleUrl(s.region, id), result: undefined, stopRequested: false }
  report.groups.push(outcome)
  log.deploymentCreated(outcome)

  let waitForTermination = s.waitForTermination
  if (s.command === 'continue') {
    const waitType = waitToEnd(info)
    await continueDeployment(id, waitType, deps)
    log.info(
      waitType === 'READY_WAIT'
        ? `ContinueDeployment (READY_WAIT) accepted: CodeDeploy reroutes traffic to the replacement environment of ${id}.`
        : `ContinueDeployment (TERMINATION_WAIT) accepted: CodeDeploy terminates the original environment of ${id} now.`
    )
    // Ending the termination wait is the point: follow it to the end.
    if (waitType === 'TERMINATION_WAIT') waitForTermination = true
    else await leaveReady(id, deps)
  }
  if (s.command === 'stop') {
    const answer = await stopOnRequest(info, s.autoRollbackOnStop, deps)
    outcome.stopRequested = true
    log.info(
      `StopDeployment accepted for ${id} (${answer}); ${s.autoRollbackOnStop ? 'what it changed is rolled back (auto-rollback-on-stop: true)' : 'nothing is rolled back (auto-rollback-on-stop: false)'}.`
    )
  }
  const printer = new ProgressPrinter(log)
  outcome.result = await watchDeployment(id, group, deps, { printer, once: !s.wait, waitForTermination })
}

async function readDeployment(id: string, deps: Pick<StageDeps, 'clients' | 'signal'>): Promise<DeploymentInfo> {
  try {
    const out = await deps.clients.codedeploy.send(new GetDeploymentCommand({ deploymentId: id }), abortable(deps.signal))
    if (!out.deploymentInfo) throw new Error(`GetDeployment returned no deploymentInfo for ${id}`)
    return out.deploymentInfo
  } catch (error) {
    if (awsErrorName(error) === 'DeploymentDoesNotExistException') {
      throw new ActionError(`names deployment ${id}, which does not exist in this account and region.`, {
        input: 'deployment-id',
        fix: 'check the id (the deployment-id output of the step that created it) and aws-region.',
        code: 'DeploymentDoesNotExistException',
        cause: error
      })
    }
    throw explainAwsError(error, `reading deployment ${id}`, 'codedeploy:GetDeployment', `deployment ${id}`)
  }
}

/** The commit a bundle was named after (`<prefix><sha>.zip`, as deploy names them), or '' when the key says none. */
function shaOfRevision(info: DeploymentInfo): string {
  return /(?:^|\/)([0-9a-f]{40})\.(?:zip|tgz|tar)$/.exec(info.revision?.s3Location?.key ?? '')?.[1] ?? ''
}

/** A dispatch workflow that also sets application-name or deployment-group must not act on another application's deployment. */
function checkInputsMatch(info: DeploymentInfo, application: string, groups: readonly string[]): void {
  const id = info.deploymentId ?? '?'
  if (application && info.applicationName !== application) {
    throw new ActionError(`names deployment ${id}, which belongs to application '${info.applicationName}', not '${application}'.`, {
      input: 'deployment-id',
      fix: `check the id, or set application-name to ${info.applicationName} (or leave it empty: watch, continue and stop read it from the deployment).`
    })
  }
  if (groups.length && !groups.includes(info.deploymentGroupName ?? '')) {
    throw new ActionError(`names deployment ${id}, of group '${info.deploymentGroupName}', which deployment-group does not list.`, {
      input: 'deployment-id',
      fix: `check the id, or set deployment-group to ${info.deploymentGroupName} (or leave it empty).`
    })
  }
}

/** After READY_WAIT, a read may still say Ready for a moment: wait until it does not, so the watch does not stop at once. */
async function leaveReady(id: string, deps: StageDeps): Promise<void> {
  const until = Math.min(deps.deadline, deps.clock.now() + LEAVE_READY_MS)
  while (deps.clock.now() < until && !deps.signal.aborted) {
    const status = await readDeployment(id, deps).then(
      d => d.status,
      () => undefined
    )
    if (status !== 'Ready') return
    await deps.clock.sleep(1000, deps.signal)
  }
}
