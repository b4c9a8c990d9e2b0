import {
  CreateDeploymentCommand,
  BatchGetDeploymentsCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  type CodeDeployClient,
  type CreateDeploymentInput,
  type DeploymentInfo,
  type RevisionLocation
} from '@aws-sdk/client-codedeploy'
import type { StageDeps } from '../core/deps.js'
import type { AlarmsMode, AutoRollback, FileExistsBehavior } from '../core/domain.js'
import { ActionError, awsErrorName } from '../core/errors.js'
import { timeLimit, untilDeadline } from '../aws/clients.js'
import { explainAwsError, isTransient } from '../aws/service-errors.js'
import type { UploadedRevision } from '../upload/location.js'

/** ECS and Lambda: the AppSpec itself, sent as content with its sha256. */
export interface AppSpecContentRevision {
  revisionType: 'AppSpecContent'
  content: string
  sha256: string
}

export interface DeploymentRequest {
  applicationName: string
  group: string
  config: string | undefined
  revision: UploadedRevision | AppSpecContentRevision
  description: string
  fileExistsBehavior: FileExistsBehavior | undefined
  ignoreApplicationStopFailures: boolean
  /** Optional so callers that predate them keep compiling; undefined sends nothing (the group's settings apply). */
  updateOutdatedInstancesOnly?: boolean | undefined
  autoRollback?: AutoRollback | undefined
  alarms?: AlarmsMode | undefined
}

/** CreateDeployment waits (for a busy group) and logs; it reads nothing else of the run. */
export type CreateDeps = Pick<StageDeps, 'clients' | 'clock' | 'deadline' | 'signal' | 'log'>

/** The statuses of a deployment that holds its group (Baking: ECS, the new task set soaking before the old one ends). */
const ACTIVE = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] as const
const FINAL = new Set(['Succeeded', 'Failed', 'Stopped'])
/** A CreateDeployment sent just before the deadline still gets one whole attempt (see aws/clients.ts). */
const ONE_ATTEMPT_MS = 20_000
/** Waiting for a busy group: a first look soon, then every 10 s. */
const BUSY_FIRST_POLL_MS = 2000
const BUSY_POLL_MS = 10_000

/**
 * CreateDeployment. A group busy with another deployment is waited for (its id is logged) and
 * the call retried, until the deadline; transient faults are retried the same way.
 */
export async function createDeployment(req: DeploymentRequest, deps: CreateDeps): Promise<string> {
  const cd = deps.clients.codedeploy
  // timeout-minutes bounds the whole step: a deployment started after it could not be followed at all.
  if (deps.clock.now() >= deps.deadline)
    throw new ActionError(
      `timeout-minutes ran out before the deployment to ${req.applicationName}/${req.group} was created: nothing was deployed.`,
      {
        input: 'timeout-minutes',
        fix: 'raise timeout-minutes: it counts from the start of the step, so packaging, the upload and a busy group count too.'
      }
    )
  // Set once an attempt failed in a way that may have created the deployment all the same.
  let mayExist = false
  for (let attempt = 0; ; attempt++) {
    // Not cut by a cancel (a request cut off mid-flight could create a deployment nobody sees),
    // only by the deadline, after which a lost answer is looked for like any other.
    const bound = timeLimit(Math.max(ONE_ATTEMPT_MS, deps.deadline - deps.clock.now()))
    try {
      const command = new CreateDeploymentCommand({
        applicationName: req.applicationName,
        deploymentGroupName: req.group,
        deploymentConfigName: req.config,
        description: req.description,
        revision: revisionLocation(req.revision),
        // Bundle-only settings: ECS and Lambda deployments have no files and no ApplicationStop.
        ...('revisionType' in req.revision
          ? {}
          : { fileExistsBehavior: req.fileExistsBehavior, ignoreApplicationStopFailures: req.ignoreApplicationStopFailures }),
        ...overrides(req)
      })
      // The SDK retries a dropped connection by itself, so a lost answer can surface only as the
      // retry's refusal (the group busy with the deployment it did create): note every attempt that failed.
      command.middlewareStack.add(
        next => async args => {
          try {
            return await next(args)
          } catch (error) {
            if (isTransient(error)) mayExist = true
            throw error
          }
        },
        { step: 'deserialize', priority: 'high', name: 'codedeployActionLostAnswer' }
      )
      const out = await cd.send(command, { abortSignal: bound })
      if (!out.deploymentId) throw new Error('CreateDeployment returned no deploymentId')
      return out.deploymentId
    } catch (error) {
      if (deps.signal.aborted) throw error
      if (awsErrorName(error) === 'DeploymentLimitExceededException') {
        const ours = await waitForActiveDeployment(cd, req, deps, error, mayExist)
        if (ours) return ours
      } else if (isTransient(error) || bound.aborted) {
        mayExist = true
        // The service may have created it before the answer was lost (a time-out included): never start a second one.
        const created = await findOurs(cd, req, await activeDeployments(cd, req, deps).catch(() => []), deps)
        const why = awsErrorName(error) ?? 'error'
        if (created) {
          deps.log.info(`CreateDeployment's answer was lost (${why}), but it created deployment ${created}: following it.`)
          return created
        }
        // Another attempt needs its whole time: one cut short by the deadline would only leave more doubt.
        if (deps.deadline - deps.clock.now() < ONE_ATTEMPT_MS) throw unanswered(req, why, error)
        deps.log.info(`CreateDeployment: ${why}; trying again.`)
        await deps.clock.sleep(Math.min(30_000, 1000 * 2 ** attempt, Math.max(0, deps.deadline - deps.clock.now())), deps.signal)
      } else {
        throw explainAwsError(
          error,
          `creating the deployment in ${req.applicationName}/${req.group}`,
          'codedeploy:CreateDeployment',
          `deployment group ${req.applicationName}/${req.group}`
        )
      }
    }
  }
}

/** What this deployment overrides of its group's settings; nothing when the group's own apply. */
function overrides(req: DeploymentRequest): Partial<CreateDeploymentInput> {
  const rollback = req.autoRollback ?? 'group'
  return {
    ...(req.updateOutdatedInstancesOnly ? { updateOutdatedInstancesOnly: true } : {}),
    ...(rollback === 'group'
      ? {}
      : { autoRollbackConfiguration: rollback === 'off' ? { enabled: false } : { enabled: true, events: [...rollback] } }),
    // Alarm polling off for this deployment; the service takes an empty list with enabled false (the shape
    // GetDeploymentGroup reports for a group without alarms). Needs codedeploy:UpdateDeploymentGroup too.
    ...(req.alarms === 'off' ? { overrideAlarmConfiguration: { enabled: false, alarms: [] } } : {})
  }
}

/** No answer to CreateDeployment by the deadline, and no deployment of ours to be seen: say what is not known. */
function unanswered(req: DeploymentRequest, why: string, cause: unknown): ActionError {
  return new ActionError(
    `CreateDeployment for ${req.applicationName}/${req.group} got no answer before the time-out (${why}), and no deployment of ` +
      `this run is active in the group: none was created, or it has not shown yet.`,
    {
      input: 'timeout-minutes',
      fix: `look at deployment group ${req.group}'s deployments in the CodeDeploy console before running again; raise timeout-minutes if the service was slow.`,
      code: why,
      cause
    }
  )
}

function revisionLocation(r: DeploymentRequest['revision']): RevisionLocation {
  if ('revisionType' in r) return { revisionType: 'AppSpecContent', appSpecContent: { content: r.content, sha256: r.sha256 } }
  return {
    revisionType: 'S3',
    s3Location: { bucket: r.bucket, key: r.key, bundleType: r.bundleType, eTag: r.eTag || undefined, version: r.version }
  }
}

/** Waits until the group is free (undefined), or returns the id when the active deployment is ours. */
async function waitForActiveDeployment(
  cd: CodeDeployClient,
  req: DeploymentRequest,
  deps: CreateDeps,
  refusal: unknown,
  mayExist: boolean
): Promise<string | undefined> {
  const active = await activeDeployment(cd, req, refusal, deps)
  // A retry after a lost answer is refused because of our own deployment: adopt it. Without a
  // lost answer the active one is another run's, even one of the same bundle and description
  // (a re-run of the same workflow run has the same link).
  const ours = active && mayExist ? await findOurs(cd, req, [active], deps) : undefined
  if (ours) {
    deps.log.info(`Deployment ${ours} is this run's own (an earlier CreateDeployment answer was lost): following it.`)
    return ours
  }
  if (!active) {
    // It ended between the refusal and the look-up (or cannot be named): try again shortly.
    if (deps.clock.now() >= deps.deadline)
      throw explainAwsError(
        refusal,
        `creating the deployment in ${req.applicationName}/${req.group}`,
        'codedeploy:CreateDeployment',
        `deployment group ${req.applicationName}/${req.group}`
      )
    await deps.clock.sleep(Math.min(BUSY_POLL_MS, Math.max(0, deps.deadline - deps.clock.now())), deps.signal)
    return undefined
  }
  deps.log.info(
    `Deployment group '${req.group}' is busy with deployment ${active}; waiting for it to end (within timeout-minutes), then deploying.`
  )
  let pause = BUSY_FIRST_POLL_MS
  let last = ''
  while (deps.clock.now() < deps.deadline && !deps.signal.aborted) {
    await deps.clock.sleep(Math.min(pause, Math.max(0, deps.deadline - deps.clock.now())), deps.signal)
    pause = Math.min(BUSY_POLL_MS, pause * 2)
    const status = await cd.send(new GetDeploymentCommand({ deploymentId: active }), untilDeadline(deps, 0)).then(
      out => out.deploymentInfo?.status,
      error =>
        isTransient(error) || deps.signal.aborted || deps.clock.now() >= deps.deadline
          ? undefined
          : Promise.reject(explainAwsError(error, `reading deployment ${active}`, 'codedeploy:GetDeployment', `deployment ${active}`))
    )
    if (status && FINAL.has(status)) {
      deps.log.info(`Deployment ${active} ended (${status}); creating ours.`)
      return undefined
    }
    if (status && status !== last && last) deps.log.info(`Deployment ${active} is ${status}; still waiting.`)
    if (status) last = status
  }
  if (deps.signal.aborted) throw new ActionError('Cancelled while waiting for the deployment group to be free.')
  throw new ActionError(`deployment group '${req.group}' stayed busy with deployment ${active} until the time-out.`, {
    input: 'timeout-minutes',
    fix: `wait for ${active} to finish (or stop it), or raise timeout-minutes.`,
    code: 'DeploymentLimitExceededException'
  })
}

function sameRevision(d: DeploymentInfo, r: DeploymentRequest['revision']): boolean {
  if ('revisionType' in r) return d.revision?.appSpecContent?.sha256 === r.sha256
  const loc = d.revision?.s3Location
  return loc?.bucket === r.bucket && loc.key === r.key && (loc.eTag ?? '') === (r.eTag || '')
}

async function activeDeployments(cd: CodeDeployClient, req: DeploymentRequest, deps: CreateDeps): Promise<string[]> {
  const out = await cd.send(
    new ListDeploymentsCommand({ applicationName: req.applicationName, deploymentGroupName: req.group, includeOnlyStatuses: [...ACTIVE] }),
    untilDeadline(deps)
  )
  return out.deployments ?? []
}

async function activeDeployment(
  cd: CodeDeployClient,
  req: DeploymentRequest,
  refusal: unknown,
  deps: CreateDeps
): Promise<string | undefined> {
  try {
    return (await activeDeployments(cd, req, deps))[0]
  } catch {
    // Without codedeploy:ListDeployments, the refusal itself names the deployment.
    return /\b(d-[A-Z0-9]{9})\b/.exec(String((refusal as Error).message))?.[1]
  }
}

/**
 * The deployment among `ids` that this run created: same revision (bucket, key, eTag, or the
 * AppSpec's sha256) and the same
 * description, which carries this run's link when generated. Undefined when none is, or on doubt.
 */
async function findOurs(
  cd: CodeDeployClient,
  req: DeploymentRequest,
  ids: readonly string[],
  deps: CreateDeps
): Promise<string | undefined> {
  if (ids.length === 0) return undefined
  try {
    const out = await cd.send(new BatchGetDeploymentsCommand({ deploymentIds: ids.slice(0, 25) }), untilDeadline(deps))
    return out.deploymentsInfo?.find(d => d.description === req.description && sameRevision(d, req.revision))?.deploymentId
  } catch {
    return undefined
  }
}
