import type { Entry } from './entry.js'

/**
 * The entries of a bundle as the walk finds them, in their final order, so a writer can start on
 * the first while the walk goes on. A list given whole is a feed that has already ended.
 */
export class EntryFeed {
  private ended: boolean
  private failure: { error: unknown } | undefined
  private waiters: Array<() => void> = []

  constructor(
    /** What has been found so far; only ever appended to. */
    readonly entries: Entry[] = [],
    ended = false
  ) {
    this.ended = ended
  }

  /** Whether every entry is in `entries`. */
  get done(): boolean {
    return this.ended
  }

  push(found: readonly Entry[]): void {
    for (const entry of found) this.entries.push(entry)
    if (found.length > 0) this.wake()
  }

  end(): void {
    this.ended = true
    this.wake()
  }

  /** The walk failed: whoever waits for more gets its error. */
  fail(error: unknown): void {
    this.failure ??= { error }
    this.wake()
  }

  /** Resolves once there are more than `seen` entries, or the walk ended; rejects when the walk failed or `signal` aborts. */
  async more(seen: number, signal: AbortSignal): Promise<void> {
    while (!this.grown(seen, signal)) {
      const next = this.nextChange(signal)
      try {
        await next.changed
      } finally {
        next.release()
      }
    }
  }

  /**
   * Whether `work` settles, either way, before there are more than `seen` entries or the walk ends:
   * a writer waits on its next result and on the walk at once. Rejects as `more` does when the walk
   * fails or `signal` aborts first. It leaves nothing behind when `work` wins (a writer asks once
   * per job, and a listener left each time would pile up on the signal while the walk is slow).
   */
  async settlesFirst(work: Promise<unknown>, seen: number, signal: AbortSignal): Promise<boolean> {
    if (this.grown(seen, signal)) return false
    const next = this.nextChange(signal)
    try {
      const settled = work.then(
        () => true,
        () => true
      )
      if (await Promise.race([settled, next.changed.then(() => false)])) return true
    } finally {
      next.release()
    }
    // Woken: by more entries or the end (this returns at once), the walk's failure or a cancel (this throws it).
    await this.more(seen, signal)
    return false
  }

  /** More than `seen` entries, or the end: true; the walk's failure or a cancel: thrown; otherwise false. */
  private grown(seen: number, signal: AbortSignal): boolean {
    if (this.failure) throw this.failure.error
    if (this.entries.length > seen || this.ended) return true
    signal.throwIfAborted()
    return false
  }

  /** The next push, end or failure, or `signal` aborting; `release` takes the wait back once it is not needed. */
  private nextChange(signal: AbortSignal): { changed: Promise<void>; release(): void } {
    let wake: () => void = () => undefined
    const changed = new Promise<void>(resolve => (wake = resolve))
    this.waiters.push(wake)
    signal.addEventListener('abort', wake, { once: true })
    return {
      changed,
      release: () => {
        signal.removeEventListener('abort', wake)
        this.waiters = this.waiters.filter(waiter => waiter !== wake)
      }
    }
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }
}

/**
 * A writer's entries as a feed: a list given whole (an ended feed), or the walk's feed itself. Told
 * apart by shape, not class: the bench loads the walk and the writer as two separate bundles.
 */
export function entryFeed(source: readonly Entry[] | EntryFeed): EntryFeed {
  return Array.isArray(source) ? new EntryFeed(source as Entry[], true) : (source as EntryFeed)
}
