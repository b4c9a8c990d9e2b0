import {
  CreateDeploymentCommand,
  GetApplicationCommand,
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  type CodeDeployClient
} from '@aws-sdk/client-codedeploy'
import { abortable } from './aws-clients.js'
import { explainAwsError, isTransient } from './aws-errors.js'
import type { Clock } from './clock.js'
import { ActionError, awsErrorName } from './errors.js'
import type { FileExistsBehavior } from './inputs.js'
import type { UploadedRevision } from './upload.js'

export interface DeploymentRequest {
  applicationName: string
  group: string
  config: string | undefined
  revision: UploadedRevision
  description: string
  fileExistsBehavior: FileExistsBehavior | undefined
  ignoreApplicationStopFailures: boolean
}

export interface WaitContext {
  clock: Clock
  deadline: number
  signal?: AbortSignal
  log: (line: string) => void
}

const ACTIVE = ['Created', 'Queued', 'InProgress', 'Ready'] as const
const FINAL = new Set(['Succeeded', 'Failed', 'Stopped'])
const BUSY_POLL_MS = 10_000

/**
 * Checks, before anything is uploaded, that the application is EC2/on-premises and that every
 * group and the named deployment config exist, so a typo fails in seconds with its name.
 */
export async function preflight(cd: CodeDeployClient, applicationName: string, groups: readonly string[], config: string | undefined): Promise<void> {
  const app = await call(() => cd.send(new GetApplicationCommand({ applicationName })), 'reading the application', 'codedeploy:GetApplication', `application ${applicationName}`, {
    ApplicationDoesNotExistException: () => new ActionError(`application '${applicationName}' does not exist in this account and region.`, {
      input: 'application-name',
      fix: 'check the name and aws-region (CodeDeploy applications are regional).'
    })
  })
  const platform = app.application?.computePlatform ?? 'Server'
  if (platform !== 'Server') {
    throw new ActionError(`application '${applicationName}' deploys to ${platform}; this version deploys EC2/on-premises (Server) applications only.`, {
      input: 'application-name',
      fix: 'use an EC2/on-premises application.'
    })
  }
  for (const group of groups) {
    await call(() => cd.send(new GetDeploymentGroupCommand({ applicationName, deploymentGroupName: group })), 'reading the deployment group', 'codedeploy:GetDeploymentGroup', `deployment group ${applicationName}/${group}`, {
      DeploymentGroupDoesNotExistException: () => new ActionError(`deployment group '${group}' does not exist in application '${applicationName}'.`, {
        input: 'deployment-group',
        fix: 'check the group name (it is case-sensitive) and aws-region.'
      })
    })
  }
  if (config) {
    await call(() => cd.send(new GetDeploymentConfigCommand({ deploymentConfigName: config })), 'reading the deployment config', 'codedeploy:GetDeploymentConfig', `deployment config ${config}`, {
      DeploymentConfigDoesNotExistException: () => new ActionError(`deployment config '${config}' does not exist.`, {
        input: 'deployment-config',
        fix: 'use a CodeDeployDefault config (OneAtATime, HalfAtATime, AllAtOnce) or one created in this account and region, or leave it empty for the group\'s own.'
      })
    })
  }
}

/**
 * CreateDeployment. A group busy with another deployment is waited for (its id is logged) and
 * the call retried, until the deadline; transient faults are retried the same way.
 */
export async function createDeployment(cd: CodeDeployClient, req: DeploymentRequest, ctx: WaitContext): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await cd.send(new CreateDeploymentCommand({
        applicationName: req.applicationName,
        deploymentGroupName: req.group,
        deploymentConfigName: req.config,
        description: req.description,
        fileExistsBehavior: req.fileExistsBehavior,
        ignoreApplicationStopFailures: req.ignoreApplicationStopFailures,
        revision: {
          revisionType: 'S3',
          s3Location: {
            bucket: req.revision.bucket,
            key: req.revision.key,
            bundleType: req.revision.bundleType,
            eTag: req.revision.eTag || undefined,
            version: req.revision.version
          }
        }
      }))
      // Deliberately not abortable: a request cut off mid-flight could create a deployment nobody sees.
      if (!out.deploymentId) throw new Error('CreateDeployment returned no deploymentId')
      return out.deploymentId
    } catch (error) {
      if (ctx.signal?.aborted) throw error
      if (awsErrorName(error) === 'DeploymentLimitExceededException') {
        await waitForActiveDeployment(cd, req, ctx, error)
      } else if (isTransient(error) && ctx.clock.now() < ctx.deadline) {
        ctx.log(`CreateDeployment: ${awsErrorName(error) ?? 'error'}; trying again.`)
        await ctx.clock.sleep(Math.min(30_000, 1000 * 2 ** attempt), ctx.signal)
      } else {
        throw explainAwsError(error, `creating the deployment in ${req.applicationName}/${req.group}`, 'codedeploy:CreateDeployment', `deployment group ${req.applicationName}/${req.group}`)
      }
    }
  }
}

async function waitForActiveDeployment(cd: CodeDeployClient, req: DeploymentRequest, ctx: WaitContext, refusal: unknown): Promise<void> {
  const active = await activeDeployment(cd, req, refusal)
  if (!active) {
    // It ended between the refusal and the look-up (or cannot be named): try again shortly.
    if (ctx.clock.now() >= ctx.deadline) throw explainAwsError(refusal, `creating the deployment in ${req.applicationName}/${req.group}`, 'codedeploy:CreateDeployment', `deployment group ${req.applicationName}/${req.group}`)
    await ctx.clock.sleep(Math.min(BUSY_POLL_MS, Math.max(0, ctx.deadline - ctx.clock.now())), ctx.signal)
    return
  }
  ctx.log(`Deployment group '${req.group}' is busy with deployment ${active}; waiting for it to end.`)
  while (ctx.clock.now() < ctx.deadline && !ctx.signal?.aborted) {
    await ctx.clock.sleep(Math.min(BUSY_POLL_MS, Math.max(0, ctx.deadline - ctx.clock.now())), ctx.signal)
    const status = await cd.send(new GetDeploymentCommand({ deploymentId: active }), abortable(ctx.signal))
      .then(out => out.deploymentInfo?.status, error => (isTransient(error) ? undefined : Promise.reject(error)))
    if (status && FINAL.has(status)) {
      ctx.log(`Deployment ${active} ended (${status}); creating ours.`)
      return
    }
  }
  if (ctx.signal?.aborted) throw new ActionError('Cancelled while waiting for the deployment group to be free.')
  throw new ActionError(`deployment group '${req.group}' stayed busy with deployment ${active} until the time-out.`, {
    input: 'timeout-minutes',
    fix: `wait for ${active} to finish (or stop it), or raise timeout-minutes.`,
    code: 'DeploymentLimitExceededException'
  })
}

async function activeDeployment(cd: CodeDeployClient, req: DeploymentRequest, refusal: unknown): Promise<string | undefined> {
  try {
    const out = await cd.send(new ListDeploymentsCommand({ applicationName: req.applicationName, deploymentGroupName: req.group, includeOnlyStatuses: [...ACTIVE] }))
    return out.deployments?.[0]
  } catch {
    // Without codedeploy:ListDeployments, the refusal itself names the deployment.
    return /\b(d-[A-Z0-9]{9})\b/.exec(String((refusal as Error).message))?.[1]
  }
}

type Explain = Record<string, () => ActionError>

async function call<T>(send: () => Promise<T>, doing: string, permission: string, resource: string, explain: Explain): Promise<T> {
  try {
    return await send()
  } catch (error) {
    const known = explain[awsErrorName(error) ?? '']
    throw known ? known() : explainAwsError(error, doing, permission, resource)
  }
}
