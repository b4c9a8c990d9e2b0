import type { AwsClients } from './aws-clients.js'
import { checkAppSpec } from './appspec.js'
import { writeBundle } from './bundle.js'
import type { Clock } from './clock.js'
import { collectEntries } from './collect.js'
import { createDeployment, preflight } from './deploy.js'
import type { Settings } from './inputs.js'
import { consoleUrl, type GroupOutcome, type RunReport } from './outcome.js'
import { ProgressPrinter } from './progress.js'
import { bundleKey, requireExisting, s3Uri, uploadBundle, type BundleLocation } from './upload.js'
import { watchDeployment } from './watch.js'

/** How the pipeline talks to the job log, without knowing about @actions/core. */
export interface Log {
  info(line: string): void
  warning(line: string): void
  error(message: string, title: string): void
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
  /** Called as soon as a deployment exists, before any waiting. */
  deploymentCreated(group: GroupOutcome): void
}

export interface PipelineContext {
  settings: Settings
  clients: AwsClients
  clock: Clock
  signal: AbortSignal
  log: Log
  tempDir: string | undefined
  report: RunReport
}

/**
 * resolve inputs -> check appspec -> package -> upload (or reuse) -> CreateDeployment -> watch.
 * Fills `report` as it goes, so whatever happens the report tells how far it got.
 */
export async function deploy(ctx: PipelineContext): Promise<void> {
  const { settings: s, clients, log, report } = ctx
  const deadline = report.startedAt + s.timeoutMinutes * 60_000
  const location: BundleLocation = {
    bucket: s.s3Bucket,
    key: bundleKey(s.s3KeyPrefix, s.sha, s.bundleType),
    bundleType: s.bundleType,
    sse: s.s3Sse,
    kmsKeyId: s.s3KmsKeyId,
    expectedBucketOwner: s.expectedBucketOwner
  }

  const entries = s.upload === 'never' ? undefined : await log.group('Check the bundle', async () => {
    const found = await collectEntries(s.sourceDir, s.exclude)
    const appspec = checkAppSpec(s.sourceDir, found)
    log.info(`${found.length} entries under ${s.sourceDir}; appspec.yml: os ${appspec.os}, ${appspec.hooks.length} hook script(s).`)
    for (const warning of appspec.warnings) log.warning(warning)
    return found
  })

  await log.group('Check CodeDeploy', async () => {
    await preflight(clients.codedeploy, s.applicationName, s.deploymentGroups, s.deploymentConfig)
    log.info(`Application ${s.applicationName} and group(s) ${s.deploymentGroups.join(', ')} found.`)
  })

  report.revision = await log.group(s.upload === 'never' ? 'Find the bundle' : 'Package and upload', async () => {
    if (!entries) {
      const existing = await requireExisting(clients.s3, location, ctx.signal)
      log.info(`Deploying the existing ${s3Uri(location)} (${existing.size} bytes, eTag ${existing.eTag}).`)
      return existing
    }
    const bundle = await writeBundle(entries, s.bundleType, ctx.tempDir)
    report.bundle = bundle
    log.info(`Bundle: ${bundle.entries} entries, ${bundle.size} bytes, sha256 ${bundle.sha256}.`)
    const revision = await uploadBundle(clients.s3, bundle, location, s.upload, { signal: ctx.signal })
    log.info(revision.uploaded
      ? `Uploaded to ${s3Uri(location)} (eTag ${revision.eTag}${revision.version ? `, version ${revision.version}` : ''}).`
      : `${s3Uri(location)} already holds this exact bundle (same sha256): not uploaded again.`)
    return revision
  })

  // allSettled: one group failing must not stop the others from being followed to their end.
  const settled = await Promise.allSettled(s.deploymentGroups.map(group => deployToGroup(ctx, group, deadline)))
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
}

async function deployToGroup(ctx: PipelineContext, group: string, deadline: number): Promise<void> {
  const { settings: s, clients, log, report } = ctx
  const prefix = s.deploymentGroups.length > 1 ? `[${group}] ` : ''
  const outcome: GroupOutcome = { group, deploymentId: undefined, url: undefined, result: undefined, stopRequested: false }
  report.groups.push(outcome)
  if (ctx.signal.aborted || !report.revision) return

  outcome.deploymentId = await createDeployment(clients.codedeploy, {
    applicationName: s.applicationName,
    group,
    config: s.deploymentConfig,
    revision: report.revision,
    description: s.description,
    fileExistsBehavior: s.fileExistsBehavior,
    ignoreApplicationStopFailures: s.ignoreApplicationStopFailures
  }, { clock: ctx.clock, deadline, signal: ctx.signal, log: line => log.info(`${prefix}${line}`) })
  outcome.url = consoleUrl(s.region, outcome.deploymentId)
  log.info(`${prefix}Created deployment ${outcome.deploymentId}: ${outcome.url}`)
  log.deploymentCreated(outcome)

  const printer = new ProgressPrinter({ info: log.info, error: log.error }, prefix)
  outcome.result = await watchDeployment(clients.codedeploy, outcome.deploymentId, group, {
    clock: ctx.clock,
    deadline,
    signal: ctx.signal,
    printer,
    warn: line => log.warning(`${prefix}${line}`),
    once: !s.wait
  })
}
