import type { BundleType } from '../core/domain.js'
import type { Clock } from '../core/clock.js'
import { removeBundle, writeBundle, type Bundle, type BundleFollower } from '../bundle/write-bundle.js'
import type { EntryFeed } from '../source/entry-feed.js'
import type { FollowHooks } from '../upload/upload-while-packaging.js'

export interface EarlyPackagingOptions {
  type: BundleType
  mtime: Date
  signal: AbortSignal
  tempRoot: string | undefined
  clock: Pick<Clock, 'now'>
}

/**
 * The bundle, written from the walk's feed while the tree is still being walked, then checked
 * (appspec.yml) and while CodeDeploy is asked: the core that waits during the walk and those
 * round trips packages instead. Nothing leaves the runner before `finish`: the upload follows
 * the file only once it is attached there (the file's bytes so far are sent first), so a bad input
 * or a failed check still stops the run before anything is uploaded; `cancel` then stops the
 * writer and removes what it wrote.
 */
export class EarlyPackaging {
  readonly bundle: Promise<Bundle>
  readonly startedAt: number
  /** When the bundle was finished (0 until then). */
  endedAt = 0
  private readonly stop = new AbortController()
  private file: string | undefined
  /** How far the file is final, as the writer last said. */
  private final = 0
  /** The writer's last question (digest) came before an upload followed it: the size it gave. */
  private unfollowedSize: number | undefined
  private hooks: FollowHooks | undefined
  private follower: BundleFollower | undefined
  private progress: ((read: number) => void) | undefined
  /** finish handed the bundle over: from then on the run removes it (main.ts), not cancel. */
  private claimed = false

  constructor(feed: EntryFeed, options: EarlyPackagingOptions) {
    this.startedAt = options.clock.now()
    this.bundle = writeBundle(feed, options.type, {
      mtime: options.mtime,
      signal: AbortSignal.any([options.signal, this.stop.signal]),
      tempRoot: options.tempRoot,
      onProgress: read => this.progress?.(read),
      follow: file => this.relay(file)
    }).then(bundle => {
      this.endedAt = options.clock.now()
      return bundle
    })
    // Awaited by finish or cancel; a failure before then must not end the process as unhandled.
    this.bundle.catch(() => undefined)
  }

  /**
   * The bundle, once written, with the upload following it (`hooks`, when the key is free): it
   * reads what is already final at once, then the rest as it comes. `progress` gets the source
   * bytes read from now on.
   */
  async finish(hooks: FollowHooks | undefined, progress: (read: number) => void): Promise<Bundle> {
    this.progress = progress
    if (hooks) {
      this.hooks = hooks
      // An upload that fails stops the writer.
      if (hooks.signal.aborted) this.stop.abort(hooks.signal.reason)
      else hooks.signal.addEventListener('abort', () => this.stop.abort(hooks.signal.reason), { once: true })
      if (this.file !== undefined && this.unfollowedSize === undefined) {
        this.follower = hooks.follow(this.file)
        await this.follower.onFinal(this.final)
      }
    }
    const bundle = await this.bundle
    if (hooks && !this.follower) {
      // Written whole before the upload could follow it: the upload reads the finished file.
      const late = hooks.follow(bundle.file)
      await late.onFinal(bundle.size)
      await late.digest(bundle.size)
    }
    this.claimed = true
    return bundle
  }

  /**
   * The run stops before the bundle was handed over (a check failed, the run was cancelled, S3
   * could not be asked): stops the writer, which removes what it wrote, or removes the bundle it
   * had finished. Nothing is left in the temp directory.
   */
  async cancel(reason?: unknown): Promise<void> {
    this.stop.abort(reason)
    const bundle = await this.bundle.catch(() => undefined)
    if (bundle && !this.claimed) await removeBundle(bundle)
  }

  /** The writer's hooks: passed on to the upload once it follows, kept until then. */
  private relay(file: string): BundleFollower {
    this.file = file
    if (this.hooks) this.follower = this.hooks.follow(file)
    return {
      onFinal: upTo => {
        this.final = Math.max(this.final, upTo)
        return this.follower?.onFinal(upTo)
      },
      digest: async size => {
        if (this.follower) return this.follower.digest(size)
        this.unfollowedSize = size
        return undefined
      }
    }
  }
}
