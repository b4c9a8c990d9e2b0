import { GetApplicationCommand, GetDeploymentConfigCommand, GetDeploymentGroupCommand } from '@aws-sdk/client-codedeploy'
import { backoff, type Clock } from '../core/clock.js'
import type { StageDeps } from '../core/deps.js'
import type { ComputePlatform } from '../core/domain.js'
import { ActionError, awsErrorName } from '../core/errors.js'
import { untilDeadline } from '../aws/clients.js'
import { explainAwsError, isTransient } from '../aws/service-errors.js'

/** Throttling or a 5xx while checking is retried this many times before it fails the step. */
const ATTEMPTS = 6

export interface PreflightRequest {
  applicationName: string
  groups: readonly string[]
  config: string | undefined
  /** The `appspec` input as given: ECS and Lambda need it, EC2/on-premises refuse it. */
  appspec: string | undefined
}

export interface PreflightResult {
  platform: ComputePlatform
  /** ECS groups: `cluster/service` each deploys to, by group name. */
  ecsServices: Map<string, string>
}

const CONFIG_EXAMPLES: Record<ComputePlatform, string> = {
  Server: 'CodeDeployDefault.OneAtATime, HalfAtATime or AllAtOnce',
  ECS: 'CodeDeployDefault.ECSAllAtOnce, ECSLinear10PercentEvery1Minutes or ECSCanary10Percent5Minutes',
  Lambda: 'CodeDeployDefault.LambdaAllAtOnce, LambdaLinear10PercentEvery1Minute or LambdaCanary10Percent5Minutes'
}

type PreflightDeps = Pick<StageDeps, 'clients' | 'clock' | 'signal' | 'deadline'>

/**
 * Checks, before anything is uploaded or deployed, that the application exists and takes what
 * the inputs give it (a bundle for EC2/on-premises, an AppSpec for ECS and Lambda), and that every
 * group and the named deployment config exist for its compute platform, so a typo fails in
 * seconds with its name. Every call ends with a cancel or at the deadline: a CodeDeploy that
 * takes requests and never answers would otherwise hold the step for 6 tries of 3 attempts each.
 */
export async function preflight(req: PreflightRequest, deps: PreflightDeps): Promise<PreflightResult> {
  const bounded = untilDeadline(deps, 0)
  try {
    return await check(req, { ...deps, signal: bounded.abortSignal })
  } catch (error) {
    if (deps.signal.aborted) throw new ActionError('Cancelled while checking CodeDeploy: nothing was deployed.', { cause: error })
    if (!bounded.abortSignal.aborted) throw error
    throw new ActionError('timeout-minutes ran out while checking CodeDeploy: nothing was uploaded and nothing was deployed.', {
      input: 'timeout-minutes',
      fix: 'CodeDeploy did not answer in time from the runner; run again, or raise timeout-minutes if it is only slow.',
      code: 'TimeoutError',
      cause: error
    })
  }
}

async function check(req: PreflightRequest, deps: PreflightDeps): Promise<PreflightResult> {
  const { applicationName, config } = req
  const { clock, signal } = deps
  const cd = deps.clients.codedeploy
  const options = { abortSignal: signal }
  const call = <T>(send: () => Promise<T>, doing: string, permission: string, resource: string, explain: Explain): Promise<T> =>
    withRetry(send, clock, signal, doing, permission, resource, explain)
  const app = await call(
    () => cd.send(new GetApplicationCommand({ applicationName }), options),
    'reading the application',
    'codedeploy:GetApplication',
    `application ${applicationName}`,
    {
      ApplicationDoesNotExistException: () =>
        new ActionError(`application '${applicationName}' does not exist in this account and region.`, {
          input: 'application-name',
          fix: 'check the name and aws-region (CodeDeploy applications are regional).'
        })
    }
  )
  const platform = computePlatform(app.application?.computePlatform)
  checkRevisionKind(platform, req)
  const ecsServices = new Map<string, string>()
  for (const group of req.groups) {
    const out = await call(
      () => cd.send(new GetDeploymentGroupCommand({ applicationName, deploymentGroupName: group }), options),
      'reading the deployment group',
      'codedeploy:GetDeploymentGroup',
      `deployment group ${applicationName}/${group}`,
      {
        DeploymentGroupDoesNotExistException: () =>
          new ActionError(`deployment group '${group}' does not exist in application '${applicationName}'.`, {
            input: 'deployment-group',
            fix: 'check the group name (it is case-sensitive) and aws-region.'
          })
      }
    )
    const service = out.deploymentGroupInfo?.ecsServices?.[0]
    if (service?.serviceName) ecsServices.set(group, `${service.clusterName ?? 'default'}/${service.serviceName}`)
  }
  if (config) {
    const out = await call(
      () => cd.send(new GetDeploymentConfigCommand({ deploymentConfigName: config }), options),
      'reading the deployment config',
      'codedeploy:GetDeploymentConfig',
      `deployment config ${config}`,
      {
        DeploymentConfigDoesNotExistException: () =>
          new ActionError(`deployment config '${config}' does not exist.`, {
            input: 'deployment-config',
            fix:
              `use a predefined config (${CONFIG_EXAMPLES[platform]}) or one created in this account and region, or leave it empty ` +
              `for the group's own.`
          })
      }
    )
    const configPlatform = out.deploymentConfigInfo?.computePlatform
    if (configPlatform && configPlatform !== platform) {
      throw new ActionError(
        `deployment config '${config}' is for ${configPlatform} deployments; application '${applicationName}' deploys to ${platform}.`,
        {
          input: 'deployment-config',
          fix:
            `use ${platform === 'ECS' ? 'an' : 'a'} ${platform} config such as ${CONFIG_EXAMPLES[platform]}, or leave it empty for ` +
            `the group's own.`
        }
      )
    }
  }
  return { platform, ecsServices }
}

function computePlatform(value: string | undefined): ComputePlatform {
  return value === 'ECS' || value === 'Lambda' ? value : 'Server'
}

/** EC2/on-premises deploy a bundle from S3; ECS and Lambda an AppSpec sent as content. */
function checkRevisionKind(platform: ComputePlatform, req: PreflightRequest): void {
  if (platform === 'Server' && req.appspec) {
    throw new ActionError(
      `is set, but application '${req.applicationName}' is an EC2/on-premises (Server) application, which deploys a bundle whose ` +
        `appspec.yml sits at the root of source-dir.`,
      {
        input: 'appspec',
        fix:
          'remove appspec (and appspec-vars) and set s3-bucket and source-dir, or set application-name to the ECS or Lambda ' +
          'application the AppSpec is for.'
      }
    )
  }
  if (platform !== 'Server' && !req.appspec) {
    throw new ActionError(
      `application '${req.applicationName}' deploys to ${platform}, which takes its AppSpec as content: nothing is packaged from ` +
        `source-dir.`,
      {
        input: 'application-name',
        fix:
          `set \`appspec\` to the path of its AppSpec file in the workspace (YAML or JSON, e.g. \`appspec: appspec.yaml\`; see ` +
          `examples/${platform === 'ECS' ? 'ecs' : 'lambda'}-appspec.yaml), or name an EC2/on-premises application.`
      }
    )
  }
}

type Explain = Record<string, () => ActionError>

async function withRetry<T>(
  send: () => Promise<T>,
  clock: Clock,
  signal: AbortSignal,
  doing: string,
  permission: string,
  resource: string,
  explain: Explain
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send()
    } catch (error) {
      const known = explain[awsErrorName(error) ?? '']
      if (known) throw known()
      if (!isTransient(error) || attempt + 1 >= ATTEMPTS || signal.aborted) throw explainAwsError(error, doing, permission, resource)
      await clock.sleep(backoff(attempt, 1000, 10_000) + 250, signal)
    }
  }
}
