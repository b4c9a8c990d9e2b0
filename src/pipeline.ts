import type { Clock } from './core/clock.js'
import { prefixedLog, type AwsClients, type Log } from './core/deps.js'
import type { ComputePlatform } from './core/domain.js'
import { ActionError } from './core/errors.js'
import { ProgressMeter, rateText, secondsText, sizeText } from './core/progress.js'
import type { AppSpecInput } from './inputs/appspec.js'
import { legacyBucketNote } from './inputs/s3.js'
import type { Settings } from './inputs/settings.js'
import { untilDeadline } from './aws/clients.js'
import { appSpecFor, loadAppSpec } from './appspec/ecs-lambda/content.js'
import { describeAppSpec } from './appspec/ecs-lambda/resources.js'
import { findExisting, requireExisting } from './upload/existing-object.js'
import { bundleLocation, matchText, s3Uri, type BundleLocation, type UploadedRevision } from './upload/location.js'
import { uploadWhilePackaging, type FollowHooks } from './upload/upload-while-packaging.js'
import { restoredCopyNote } from './upload/storage-class.js'
import { consoleUrl } from './deploy/console-url.js'
import { createDeployment } from './deploy/create-deployment.js'
import { preflight } from './deploy/preflight.js'
import { ProgressPrinter } from './watch/progress-printer.js'
import { watchDeployment } from './watch/watch-deployment.js'
import { GithubDeployment } from './github/github-deployment.js'
import type { GroupOutcome, RunReport } from './report/run-report.js'
import type { Bundle } from './bundle/write-bundle.js'
import { buildBundle, readBundleSource, type BundleSource } from './commands/bundle-source.js'
import { stageDeps } from './commands/context.js'
import { registerUploaded } from './commands/register.js'
import { runCommand } from './commands/run-command.js'

/** The job log, plus the moment a deployment exists (main sets its outputs at once). */
export interface PipelineLog extends Log {
  /** Called as soon as a deployment exists, before any waiting. */
  deploymentCreated(group: GroupOutcome): void
}

export interface PipelineContext {
  settings: Settings
  clients: AwsClients
  clock: Clock
  signal: AbortSignal
  log: PipelineLog
  tempDir: string | undefined
  report: RunReport
  /** Set by the pipeline when github-environment asks for a GitHub deployment. */
  github?: GithubDeployment | undefined
}

/**
 * resolve inputs -> check appspec -> package -> upload (or reuse) -> CreateDeployment -> watch;
 * for ECS and Lambda: check the AppSpec -> CreateDeployment with it as content -> watch.
 * Fills `report` as it goes, so whatever happens the report tells how far it got.
 */
export async function runPipeline(ctx: PipelineContext): Promise<void> {
  const { settings: s } = ctx
  ctx.report.command = s.command
  // check, watch, continue and stop: src/commands/. register packages and uploads as deploy does.
  if (s.command !== 'deploy' && s.command !== 'register') return runCommand(ctx)
  if (s.appspec) await prepareAppSpec(ctx, s.appspec)
  else await prepareBundle(ctx)
  stopIfCancelled(ctx, 'before any deployment was created')
  if (s.command === 'register') return registerUploaded(ctx)

  if (s.githubEnvironment && s.githubToken && s.repository) {
    ctx.github = await GithubDeployment.create(
      {
        token: s.githubToken,
        repository: s.repository,
        environment: s.githubEnvironment,
        sha: s.sha,
        description: `CodeDeploy ${s.applicationName} → ${s.deploymentGroups.join(', ')}`,
        production: s.githubEnvironmentProduction,
        environmentUrl: s.githubEnvironmentUrl,
        serverUrl: s.runUrl ? new URL(s.runUrl).origin : undefined
      },
      ctx
    )
    ctx.report.githubDeploymentUrl = ctx.github?.url
  }

  // allSettled: one group failing must not stop the others from being followed to their end.
  const settled = await Promise.allSettled(s.deploymentGroups.map(group => deployToGroup(ctx, group)))
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
}

/** EC2/on-premises: the bundle, checked, packaged and uploaded (or the one already in S3). */
async function prepareBundle(ctx: PipelineContext): Promise<void> {
  const { settings: s, log, report } = ctx
  const location = bundleLocation(s)
  const legacy = legacyBucketNote(s.s3Bucket)
  if (legacy) log.warning(legacy)
  // A redeploy of another commit deploys that commit's bundle: the workspace holds a different tree.
  // A prebuilt archive is what the workflow asked to deploy: it is uploaded (unless already there), never swapped for another.
  const reuse =
    !s.prebuiltBundle && (s.upload === 'never' || (s.redeploy && s.upload === 'auto'))
      ? await log.group('Find the bundle', () => findBundle(ctx, location))
      : undefined

  // Packaging starts with the walk (nothing is uploaded before the checks pass); a failed check stops it.
  const source = reuse ? undefined : await log.group('Check the bundle', () => checkSource(ctx, location))
  try {
    stopIfCancelled(ctx, 'before checking CodeDeploy')
    await checkCodeDeploy(ctx)
    stopIfCancelled(ctx, 'before packaging')
    report.revision = reuse ?? (await log.group('Package and upload', () => packageAndUpload(ctx, source!, location)))
  } catch (error) {
    await source?.packaging?.cancel(error)
    throw error
  }
  const restored = restoredCopyNote(report.revision, ctx.clock.now())
  if (restored) log.warning(restored)
}

/** ECS and Lambda: the AppSpec, read and checked; nothing is packaged or uploaded. */
async function prepareAppSpec(ctx: PipelineContext, input: AppSpecInput): Promise<void> {
  const { settings: s, log, report } = ctx
  // Everything the file alone can tell is checked before any AWS call.
  const loaded = await log.group('Check the AppSpec', async () => {
    const found = loadAppSpec(input)
    const filled = input.vars.size ? `; filled ${input.vars.size} placeholder value(s) from appspec-vars` : ''
    log.info(`${input.given}: ${found.content.length} characters, sha256 ${found.sha256}${filled}.`)
    for (const warning of [...found.warnings, ...(found.checked?.warnings ?? [])]) log.warning(warning)
    if (input.unused.length)
      log.warning(`Not used for an ECS or Lambda deployment (nothing is packaged or uploaded): ${input.unused.join(', ')}.`)
    return found
  })
  stopIfCancelled(ctx, 'before checking CodeDeploy')
  const platform = await checkCodeDeploy(ctx)
  // Never Server here: preflight refuses an appspec for an EC2/on-premises application.
  if (platform === 'Server')
    throw new ActionError('an AppSpec sent as content is for ECS and Lambda applications only.', { input: 'appspec' })
  const checked = appSpecFor(loaded, platform, s.applicationName)
  if (!loaded.checked) for (const warning of checked.warnings) log.warning(warning)
  report.appspec = { path: input.given, content: loaded.content, sha256: loaded.sha256, checked }
  log.info(`AppSpec: ${describeAppSpec(checked)}; sent as content (revisionType AppSpecContent), nothing uploaded.`)
}

async function checkCodeDeploy(ctx: PipelineContext): Promise<ComputePlatform> {
  const { settings: s, log, report } = ctx
  return log.group('Check CodeDeploy', async () => {
    const started = ctx.clock.now()
    const found = await preflight(
      { applicationName: s.applicationName, groups: s.deploymentGroups, config: s.deploymentConfig, appspec: s.appspec?.given },
      stageDeps(ctx)
    )
    report.computePlatform = found.platform
    const services = [...found.ecsServices].map(([group, service]) => `${group} → ECS service ${service}`)
    const platform = found.platform === 'Server' ? 'EC2/on-premises' : found.platform
    const groups = s.deploymentGroups.join(', ')
    log.info(
      `Application ${s.applicationName} (${platform}) and group(s) ${groups} found${services.length ? ` (${services.join(', ')})` : ''} ` +
        `in ${secondsText(ctx.clock.now() - started)}.`
    )
    return found.platform
  })
}

/** Between stages: once the workflow is cancelled, nothing new is started. */
function stopIfCancelled(ctx: PipelineContext, when: string): void {
  if (ctx.signal.aborted) throw new ActionError(`Cancelled ${when}: nothing was deployed.`)
}

/** The existing object for `upload: never` (required) or a redeploy (used when present). */
async function findBundle(ctx: PipelineContext, location: BundleLocation): Promise<UploadedRevision | undefined> {
  const { settings: s, log } = ctx
  const existing = s.upload === 'never' ? await requireExisting(location, ctx) : await findExisting(location, ctx)
  if (existing) {
    const version = existing.version ? `, version ${existing.version}` : ''
    log.info(`Deploying the existing ${s3Uri(location)} (${existing.size} bytes, eTag ${existing.eTag}${version}); nothing is packaged.`)
  } else {
    log.info(`No bundle for ${s.sha} at ${s3Uri(location)} yet: packaging source-dir, if it is a checkout of that commit.`)
  }
  return existing
}

async function checkSource(ctx: PipelineContext, location: BundleLocation): Promise<BundleSource> {
  const started = ctx.clock.now()
  const source = await readBundleSource(ctx, location, { packageEarly: true })
  const { appspec } = source
  const where = source.prebuilt ? `in ${source.from}` : `under ${source.from}`
  const took = secondsText(ctx.clock.now() - started)
  ctx.log.info(
    `${source.entries.length} entries ${where}; appspec.yml: os ${appspec.os}, ${appspec.hooks.length} hook script(s); checked in ${took}.`
  )
  if (source.time) ctx.log.info(`Entries are dated ${source.time.mtime.toISOString()} (${source.time.from}).`)
  return source
}

async function packageAndUpload(ctx: PipelineContext, source: BundleSource, location: BundleLocation): Promise<UploadedRevision> {
  const { settings: s, log, report, clock } = ctx
  const packing = clock.now()
  let packed = packing
  // The upload ends by the deadline too: a stalled S3 must not hold the step past timeout-minutes.
  const bounded = untilDeadline(stageDeps(ctx), 0).abortSignal
  const deps = { clients: ctx.clients, clock, signal: bounded }
  const pack = async (hooks: FollowHooks | undefined): Promise<Bundle> => {
    const bundle = await buildBundle(ctx, source, hooks)
    report.bundle = bundle
    packed = clock.now()
    const size = `${sizeText(bundle.size)} (${bundle.size} bytes)`
    // Packaging that began with the walk: its own time, from the walk to its last byte.
    const early = source.packaging
    const took = early
      ? `packaged in ${secondsText(early.endedAt - early.startedAt)}, from the walk on`
      : `packaged in ${secondsText(packed - packing)}`
    log.info(`Bundle: ${bundle.entries} entries, ${size}, sha256 ${bundle.sha256}; ${took}.`)
    return bundle
  }
  // The bundle's size is known only once packaged: while it is being written, progress shows MB sent.
  const progress = (total: number): ((sent: number) => void) => new ProgressMeter('Uploading', total, clock, log).update
  const sourceBytes = source.entries.reduce((sum, e) => sum + (e.kind === 'file' ? e.size : 0), 0)
  // Stored data plus headers, as zip and tar write them: the most a bundle of these entries can weigh.
  const sizeLimit = sourceBytes * 1.01 + source.entries.length * 2048 + (1 << 20)
  const { bundle, revision, streamed } = await uploadWhilePackaging(pack, s.bundleType, location, s.upload, deps, {
    progress,
    sizeLimit
  }).catch((error: unknown) => {
    if (!bounded.aborted || ctx.signal.aborted) throw error
    throw new ActionError(
      `timeout-minutes (${s.timeoutMinutes}) ran out while uploading the bundle to ${s3Uri(location)}: nothing was deployed.`,
      {
        input: 'timeout-minutes',
        fix: 'raise timeout-minutes if S3 is slow from the runner; run again to retry the upload.',
        code: 'TimeoutError',
        cause: error
      }
    )
  })
  const took = clock.now() - packed
  const rate = rateText(bundle.size, clock.now() - (streamed ? packing : packed))
  const where = `${s3Uri(location)} (eTag ${revision.eTag}${revision.version ? `, version ${revision.version}` : ''})`
  log.info(
    !revision.uploaded
      ? `${s3Uri(location)} already holds this exact bundle (${matchText(revision.matchedBy ?? 'sha256')}): not uploaded again.`
      : streamed
        ? `Uploaded to ${where} while packaging: ${sizeText(bundle.size)}, done ${secondsText(took)} after packaging${rate ? `, ${rate} overall` : ''}.`
        : `Uploaded to ${where}: ${sizeText(bundle.size)} in ${secondsText(took)}${rate ? `, ${rate}` : ''}.`
  )
  return revision
}

async function deployToGroup(ctx: PipelineContext, group: string): Promise<void> {
  const { settings: s, log, report } = ctx
  const prefix = s.deploymentGroups.length > 1 ? `[${group}] ` : ''
  const deps = { ...stageDeps(ctx), log: prefixedLog(log, prefix) }
  const outcome: GroupOutcome = { group, deploymentId: undefined, url: undefined, result: undefined, stopRequested: false }
  report.groups.push(outcome)
  const revision = report.appspec
    ? { revisionType: 'AppSpecContent' as const, content: report.appspec.content, sha256: report.appspec.sha256 }
    : report.revision
  if (ctx.signal.aborted || !revision) return

  const creating = ctx.clock.now()
  outcome.deploymentId = await createDeployment(
    {
      applicationName: s.applicationName,
      group,
      config: s.deploymentConfig,
      revision,
      description: s.description,
      fileExistsBehavior: s.fileExistsBehavior,
      ignoreApplicationStopFailures: s.ignoreApplicationStopFailures,
      updateOutdatedInstancesOnly: s.updateOutdatedInstancesOnly,
      autoRollback: s.autoRollback,
      alarms: s.alarms
    },
    deps
  )
  outcome.url = consoleUrl(s.region, outcome.deploymentId)
  const created = ctx.clock.now()
  log.info(`${prefix}Created deployment ${outcome.deploymentId} in ${secondsText(created - creating)}: ${outcome.url}`)
  log.deploymentCreated(outcome)
  await ctx.github?.setStatus('in_progress', `CodeDeploy ${outcome.deploymentId} (${group}) in progress`, outcome.url)

  const printer = new ProgressPrinter(log, prefix)
  outcome.result = await watchDeployment(outcome.deploymentId, group, deps, {
    printer,
    once: !s.wait,
    waitForTermination: s.waitForTermination
  })
  const r = outcome.result
  const watched = secondsText(ctx.clock.now() - created)
  if (s.wait)
    log.info(
      r.final
        ? `${prefix}Finished: deployment ${r.deploymentId} ${r.status}, ${watched} after it was created.`
        : `${prefix}Stopped watching deployment ${r.deploymentId} after ${watched}: last seen ${r.status}.`
    )
}
