import type { Clock } from './clock.js'
import type { Log } from './deps.js'

/**
 * Progress lines for long work (packaging, upload): without them a 600 MB upload is minutes of
 * silence in the job log. Quiet for work that ends within `everyMs`; after that, at most one line
 * per `everyMs`: percent, MB, rate and an estimate of the time left.
 *
 * Wiring is one callback: `const meter = new ProgressMeter('Uploading', size, clock, log)` and
 * pass `meter.update` wherever a `(done: number) => void` is taken.
 */
export class ProgressMeter {
  private readonly startedAt: number
  private lastLineAt: number

  constructor(
    private readonly label: string,
    /** Bytes the work will have done at its end; 0 when unknown (then no percent and no estimate). */
    private readonly totalBytes: number,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly log: Pick<Log, 'info'>,
    private readonly everyMs = 10_000
  ) {
    this.startedAt = clock.now()
    this.lastLineAt = this.startedAt
  }

  /** The running total of bytes done. Bound, so it can be passed as a callback as it is. */
  readonly update = (doneBytes: number): void => {
    const now = this.clock.now()
    if (now - this.lastLineAt < this.everyMs) return
    this.lastLineAt = now
    this.log.info(this.line(doneBytes, now - this.startedAt))
  }

  /** E.g. "Uploading: 45% (277.6 of 617.0 MB), 9.3 MB/s, about 36 s left". */
  private line(done: number, elapsedMs: number): string {
    const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0
    const speed = `${megabytes(rate)} MB/s`
    if (this.totalBytes <= 0) return `${this.label}: ${megabytes(done)} MB, ${speed}`
    // A tree that grows while it is read may pass its expected total: never claim 100% before the end.
    const percent = Math.min(99, Math.floor((done / this.totalBytes) * 100))
    const left = rate > 0 ? `about ${duration(Math.max(0, this.totalBytes - done) / rate)} left` : 'time left unknown'
    return `${this.label}: ${percent}% (${megabytes(done)} of ${megabytes(this.totalBytes)} MB), ${speed}, ${left}`
  }
}

/** Bytes as MB (10^6 bytes), one decimal. */
export function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1)
}

/** Seconds as a person reads a wait: "8 s", "2 min 5 s", "1 h 3 min". */
export function duration(seconds: number): string {
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
  const m = Math.round((s % 3600) / 60)
  return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ''}`
}

/** Milliseconds as seconds with one decimal, e.g. "12.4 s": the stage durations in the job log. */
export function secondsText(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`
}

/** A size for a log line: "617.3 MB", or "4.4 kB" for a bundle under a megabyte (never "0.0 MB"). */
export function sizeText(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${megabytes(bytes)} MB`
}

/** Bytes per second as "10.0 MB/s" or "43.8 kB/s"; '' when no time passed to divide by. */
export function rateText(bytes: number, ms: number): string {
  return ms > 0 ? `${sizeText(bytes / (ms / 1000))}/s` : ''
}
