import { GetDeploymentGroupCommand } from '@aws-sdk/client-codedeploy'
import { ActionError } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import { isAccessDenied } from '../aws/service-errors.js'
import { listExcluded } from '../source/excluded.js'
import { appSpecFor, loadAppSpec } from '../appspec/ecs-lambda/content.js'
import { describeAppSpec } from '../appspec/ecs-lambda/resources.js'
import { bucketFacts } from '../upload/bucket-facts.js'
import { findExistingObject, requireExisting, type ExistingObject } from '../upload/existing-object.js'
import { bundleLocation, matchText, s3Uri, type BundleLocation } from '../upload/location.js'
import { sameBytes } from '../upload/no-overwrite.js'
import { restoredCopyNote } from '../upload/storage-class.js'
import { preflight } from '../deploy/preflight.js'
import { buildBundle, readBundleSource, type BundleSource } from './bundle-source.js'
import { stageDeps, type CommandContext } from './context.js'

/** Excluded paths named one by one in the log; the summary gets the first few. */
const SUMMARY_EXCLUDED = 10

/**
 * `command: check`: everything that can be known without changing anything, for a pull-request
 * workflow. Inputs and appspec, CodeDeploy and S3 read with read-only calls, the bundle built
 * locally, and what deploy would do. Every fact goes to the log and to report.check (the summary).
 */
export async function runCheck(ctx: CommandContext): Promise<void> {
  const { settings: s, log, report } = ctx
  const rows: Array<[string, string]> = []
  report.check = rows
  const fact = (name: string, value: string): void => {
    rows.push([name, value])
    log.info(`${name}: ${value}`)
  }
  fact('command', 'check: nothing is uploaded, registered or deployed')
  fact(
    'inputs',
    [
      `application ${s.applicationName}`,
      `group(s) ${s.deploymentGroups.join(', ')}`,
      s.deploymentConfig ? `deployment-config ${s.deploymentConfig}` : undefined,
      s.appspec
        ? `appspec ${s.appspec.given}`
        : `source-dir ${s.sourceDir}, bundle-type ${s.bundleType}, upload ${s.upload}, ${s3Uri(bundleLocation(s))}`,
      `sha ${s.sha}${s.redeploy ? ' (a redeploy of an earlier commit)' : ''}`,
      s.exclude.length ? `exclude ${s.exclude.join(' ')}` : undefined
    ]
      .filter(Boolean)
      .join('; ')
  )
  const deps = stageDeps(ctx)

  if (s.appspec) {
    const input = s.appspec
    const loaded = await log.group('Check the AppSpec', async () => loadAppSpec(input))
    for (const warning of [...loaded.warnings, ...(loaded.checked?.warnings ?? [])]) log.warning(warning)
    const platform = await checkCodeDeploy(ctx, fact)
    if (platform === 'Server')
      throw new ActionError('an AppSpec sent as content is for ECS and Lambda applications only.', { input: 'appspec' })
    const checked = appSpecFor(loaded, platform, s.applicationName)
    fact('AppSpec', `${input.given}: ${describeAppSpec(checked)}; sha256 ${loaded.sha256}`)
    fact('deploy would', `send ${input.given} as content (nothing uploaded) to ${s.deploymentGroups.join(', ')}, config ${configs(rows)}`)
    return
  }

  const location = bundleLocation(s)
  const readS3 = (): Promise<Found | undefined> =>
    log.group('Check S3 (read-only)', async () => {
      const bucket = await bucketFacts(location.bucket, location.expectedBucketOwner, deps)
      fact('bucket', `${location.bucket}: region ${bucket.region}, versioning ${bucket.versioning}`)
      const object =
        s.upload === 'never'
          ? { revision: await requireExisting(location, deps), fullCrc32: undefined }
          : await headOrUnknown(location, ctx)
      const found = object?.revision
      fact(
        'object',
        found
          ? `${s3Uri(location)} exists: ${found.size} bytes, eTag ${found.eTag}${found.version ? `, version ${found.version}` : ''}${found.sha256 ? `, sha256 ${found.sha256}` : ''}`
          : `${s3Uri(location)}: no object yet`
      )
      const restored = found && restoredCopyNote(found, ctx.clock.now())
      if (restored) log.warning(restored)
      return object
    })
  // As deploy: upload: never, and a redeploy whose bundle is already there, package nothing (the
  // workspace may hold another commit), so no tree is read. Otherwise the tree and appspec.yml are
  // checked before any AWS call.
  const s3First = s.upload === 'never' || s.redeploy
  let existing = s3First ? await readS3() : undefined
  const packages = s.upload !== 'never' && !(existing && s.redeploy && s.upload === 'auto')
  const source = packages ? await log.group('Check the bundle', () => checkSource(ctx, location, fact, rows)) : undefined
  if (!s3First) existing = await readS3()
  await checkCodeDeploy(ctx, fact)
  if (source) {
    const bundle = await log.group('Build the bundle locally', () => buildBundle(ctx, source))
    report.bundle = bundle
    fact(
      'bundle',
      `${bundle.entries} entries, ${bundle.size} bytes, sha256 ${bundle.sha256} (${s.bundleType}, built locally, not uploaded)`
    )
  }
  fact(
    'deploy would',
    `${bundlePlan(ctx, location, existing)}, then deploy it to ${s.deploymentGroups.join(', ')} with config ${configs(rows)}`
  )
}

/** What deploy would package, read as deploy reads it, told as facts: the appspec, what was excluded and why, the entries' time. */
async function checkSource(
  ctx: CommandContext,
  location: BundleLocation,
  fact: (name: string, value: string) => void,
  rows: Array<[string, string]>
): Promise<BundleSource> {
  const { settings: s, log } = ctx
  const source = await readBundleSource(ctx, location)
  const { appspec } = source
  const hooks = appspec.hooks.length ? `: ${appspec.hooks.map(h => `${h.event} ${h.location}`).join(', ')}` : ''
  fact(
    'appspec.yml',
    `os ${appspec.os}, ${appspec.hooks.length} hook script(s)${hooks}${source.prebuilt ? ` (in ${source.prebuilt})` : ''}`
  )
  if (!source.time) return source
  const { excluded, more } = listExcluded(s.sourceDir, s.exclude)
  for (const e of excluded) log.info(`  excluded ${e.path} (by ${e.pattern})`)
  const shown = excluded.slice(0, SUMMARY_EXCLUDED).map(e => `${e.path} (by ${e.pattern})`)
  const rest = excluded.length - shown.length + more
  rows.push(['excluded', excluded.length ? `${shown.join(', ')}${rest ? `, and ${rest} more (see the log)` : ''}` : 'nothing'])
  fact('entry times', `${source.time.mtime.toISOString()} (${source.time.from})`)
  return source
}

/** The object at the key, and what S3 keeps of it to compare a bundle with. */
type Found = Pick<ExistingObject, 'revision' | 'fullCrc32'>

/** HeadObject as deploy does it: without s3:ListBucket a missing key reads as 403, which deploy takes as "upload". */
async function headOrUnknown(location: BundleLocation, ctx: CommandContext): Promise<Found | undefined> {
  return findExistingObject(location, ctx).catch((error: unknown) => {
    if (error instanceof ActionError && isAccessDenied(error.cause) && !location.expectedBucketOwner) return undefined
    throw error
  })
}

function bundlePlan(ctx: CommandContext, location: BundleLocation, existing: Found | undefined): string {
  const { settings: s, report } = ctx
  const uri = s3Uri(location)
  if (s.upload === 'never') return `deploy the existing ${uri} (upload: never)`
  if (existing && s.redeploy && s.upload === 'auto') return `deploy the existing ${uri} of commit ${s.sha} (a redeploy: nothing packaged)`
  // As deploy compares them: by sha256, or by S3's full-object CRC-32 for an object uploaded while packaging.
  const same = existing && report.bundle && sameBytes(existing, report.bundle)
  if (same && s.upload === 'auto') return `reuse ${uri}, which already holds this exact bundle (${matchText(same)}): no upload`
  return `upload the bundle to ${uri}${existing ? ' (replacing a different object)' : ''}`
}

function configs(rows: ReadonlyArray<[string, string]>): string {
  return rows.find(([k]) => k === 'deployment config')?.[1] ?? "the group's own"
}

/** Preflight (GetApplication, GetDeploymentGroup, GetDeploymentConfig) and each group's config and style. */
async function checkCodeDeploy(ctx: CommandContext, fact: (name: string, value: string) => void) {
  const { settings: s, log } = ctx
  return log.group('Check CodeDeploy (read-only)', async () => {
    const deps = stageDeps(ctx)
    const found = await preflight(
      { applicationName: s.applicationName, groups: s.deploymentGroups, config: s.deploymentConfig, appspec: s.appspec?.given },
      deps
    )
    ctx.report.computePlatform = found.platform
    fact('application', `${s.applicationName} (${found.platform === 'Server' ? 'EC2/on-premises' : found.platform})`)
    const used: string[] = []
    for (const group of s.deploymentGroups) {
      const out = await ctx.clients.codedeploy.send(
        new GetDeploymentGroupCommand({ applicationName: s.applicationName, deploymentGroupName: group }),
        abortable(ctx.signal)
      )
      const g = out.deploymentGroupInfo
      const style = g?.deploymentStyle?.deploymentType === 'BLUE_GREEN' ? 'blue/green' : 'in-place'
      fact(
        `group ${group}`,
        `${style}, config ${g?.deploymentConfigName ?? '?'}${g?.autoRollbackConfiguration?.enabled ? ', automatic rollback on' : ''}`
      )
      if (g?.deploymentConfigName) used.push(g.deploymentConfigName)
    }
    fact('deployment config', s.deploymentConfig ?? ([...new Set(used)].join(', ') || "the group's own"))
    return found.platform
  })
}
