import * as fs from 'node:fs'
import { commitTime } from './checkout.js'

/** The time every bundle entry carries, and where it came from (for the log). */
export interface BundleTime {
  mtime: Date
  from: string
  /** Set when no commit time was found: the bundle is then not reproducible across runs. */
  warning?: string
}

export interface BundleTimeSources {
  sourceDir: string
  sha: string
  /** SOURCE_DATE_EPOCH, already checked to be whole seconds. */
  sourceDateEpoch?: number | undefined
  /** GITHUB_EVENT_PATH: the webhook payload of the run. */
  eventPath?: string | undefined
  /** When the run started: the last resort. */
  startedAt: number
}

/**
 * The agent installs files with the mtime they have in the bundle (FileUtils.copy preserve: true),
 * so this is the time servers see: PHP OPcache, .pyc files, nginx ETags and rsync trust mtime+size.
 * The commit's time keeps a bundle reproducible per commit (upload: auto can still skip an
 * identical upload) while every new commit looks newer than the last. In order:
 *   1. the committer date of `sha` in the checkout (git log -1 --format=%ct <sha>);
 *   2. SOURCE_DATE_EPOCH (reproducible-builds.org), for trees that are not a git checkout;
 *   3. the event payload's head_commit.timestamp, when head_commit is `sha` (push events);
 *   4. none of those: the run's start time, with a warning. Never 1980 or any fixed date: a fixed
 *      date is what made servers serve stale content. The start time makes every file look new,
 *      which costs a cache refresh, never a stale page; what is lost is reproducibility across runs
 *      (a re-run uploads again), and the warning says how to get it back.
 */
export async function bundleTime(sources: BundleTimeSources, signal?: AbortSignal): Promise<BundleTime> {
  const { sourceDir, sha } = sources
  const committed = await commitTime(sourceDir, sha, signal)
  if (committed) return { mtime: committed, from: `the committer date of ${sha.slice(0, 12)}` }
  if (sources.sourceDateEpoch !== undefined) return { mtime: new Date(sources.sourceDateEpoch * 1000), from: 'SOURCE_DATE_EPOCH' }
  const pushed = headCommitTime(sources.eventPath, sha)
  if (pushed) return { mtime: pushed, from: `the event's head commit (${sha.slice(0, 12)})` }
  return {
    mtime: new Date(Math.floor(sources.startedAt / 1000) * 1000),
    from: 'the start of this run',
    warning:
      `No commit time for ${sha.slice(0, 12)}: source-dir is not a git checkout of it and SOURCE_DATE_EPOCH is not set, so ` +
      `bundle entries carry the time this run started, and a re-run gives a different bundle. Set SOURCE_DATE_EPOCH ` +
      `(e.g. to the output of git log -1 --format=%ct) in the step's env to make the bundle reproducible.`
  }
}

/** head_commit.timestamp of the run's event, when the event's head commit is `sha`. */
function headCommitTime(eventPath: string | undefined, sha: string): Date | undefined {
  if (!eventPath) return undefined
  let payload: unknown
  try {
    payload = JSON.parse(fs.readFileSync(eventPath, 'utf8'))
  } catch {
    return undefined // no payload, or not JSON: the next source decides
  }
  const head = (payload as { head_commit?: { id?: unknown; timestamp?: unknown } } | null)?.head_commit
  if (typeof head?.id !== 'string' || head.id.toLowerCase() !== sha || typeof head.timestamp !== 'string') return undefined
  const ms = Date.parse(head.timestamp)
  return Number.isFinite(ms) ? new Date(Math.floor(ms / 1000) * 1000) : undefined
}
