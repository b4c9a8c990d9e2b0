import { ActionError } from '../core/errors.js'
import { ProgressMeter } from '../core/progress.js'
import { bundleTime, type BundleTime } from '../source/bundle-time.js'
import { requireCheckoutOf } from '../source/checkout.js'
import { EntryFeed } from '../source/entry-feed.js'
import { walkSourceTree, type Entry } from '../source/walk-tree.js'
import { checkAppSpec, type AppSpec } from '../appspec/ec2/check-appspec.js'
import { checkPrebuilt, stagePrebuilt } from '../bundle/prebuilt/check-prebuilt.js'
import { writeBundle, type Bundle } from '../bundle/write-bundle.js'
import { s3Uri, type BundleLocation } from '../upload/location.js'
import type { FollowHooks } from '../upload/upload-while-packaging.js'
import type { CommandContext } from './context.js'
import { EarlyPackaging } from './early-packaging.js'

/** What gets packaged, with the time its entries carry; or an archive built earlier, uploaded as it is. */
export type BundleSource = (
  | { entries: Entry[]; time: BundleTime; prebuilt?: undefined; packaging?: EarlyPackaging | undefined }
  | { entries: Entry[]; time?: undefined; prebuilt: string; packaging?: undefined }
) & {
  appspec: AppSpec
  /** Where the entries come from: source-dir, or the archive's path. */
  from: string
}

/**
 * What deploy, register and check package, checked the same way for all three: an archive built
 * earlier (its appspec.yml read from its index), or the tree of source-dir, which must be a
 * checkout of `sha` (a checkout of another commit is never packaged under this commit's key), with
 * its appspec.yml and the commit time its entries will carry. Warnings go to the log.
 */
export async function readBundleSource(
  ctx: CommandContext,
  location: BundleLocation,
  options: { packageEarly?: boolean } = {}
): Promise<BundleSource> {
  const { settings: s, log } = ctx
  if (s.prebuiltBundle) {
    const { entries, appspec } = await checkPrebuilt(s.prebuiltBundle, s.bundleType, ctx.tempDir)
    for (const warning of appspec.warnings) log.warning(warning)
    return { entries, prebuilt: s.prebuiltBundle, appspec, from: s.prebuiltBundle }
  }
  const checkout = await requireCheckoutOf(s.sourceDir, s.sha, { workflowCommit: !s.redeploy, target: s3Uri(location) }, ctx.signal)
  if (checkout.warn) log.warning(checkout.line)
  else log.info(checkout.line)
  const { sourceDir, sha, sourceDateEpoch, eventPath } = s
  // Before the walk: the entries' time is what the writer stamps them with (packageEarly).
  const time = await bundleTime({ sourceDir, sha, sourceDateEpoch, eventPath, startedAt: ctx.report.startedAt }, ctx.signal)
  const feed = new EntryFeed()
  const packaging = options.packageEarly
    ? new EarlyPackaging(feed, { type: s.bundleType, mtime: time.mtime, signal: ctx.signal, tempRoot: ctx.tempDir, clock: ctx.clock })
    : undefined
  try {
    const entries = await walkSourceTree(s.sourceDir, s.exclude, feed)
    const appspec = checkAppSpec(s.sourceDir, entries, s.exclude)
    for (const warning of appspec.warnings) log.warning(warning)
    if (time.warning) log.warning(time.warning)
    return { entries, time, appspec, from: s.sourceDir, packaging }
  } catch (error) {
    await packaging?.cancel(error)
    throw error
  }
}

/** The bundle on disk: the tree packaged (with progress lines on long work), or the archive copied as it is. */
export async function buildBundle(ctx: CommandContext, source: BundleSource, hooks?: FollowHooks): Promise<Bundle> {
  const { settings: s, tempDir } = ctx
  // An upload following the writer stops it when it fails.
  const signal = hooks ? AbortSignal.any([ctx.signal, hooks.signal]) : ctx.signal
  if (!source.time) return await stagePrebuilt(source.prebuilt, s.bundleType, source.entries.length, signal, tempDir)
  const sourceBytes = source.entries.reduce((sum, e) => sum + (e.kind === 'file' ? e.size : 0), 0)
  const onProgress = new ProgressMeter('Packaging', sourceBytes, ctx.clock, ctx.log).update
  const options = { mtime: source.time.mtime, signal, tempRoot: tempDir, onProgress, follow: hooks?.follow }
  const written = source.packaging ? source.packaging.finish(hooks, onProgress) : writeBundle(source.entries, s.bundleType, options)
  return await written.catch((error: unknown) => {
    // The writers stop on the cancel signal and remove what they wrote: say so, rather than "AbortError".
    if (ctx.signal.aborted) throw new ActionError('Cancelled while packaging: nothing was uploaded and nothing was deployed.')
    throw error
  })
}
