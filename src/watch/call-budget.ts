import type { Clock } from '../core/clock.js'

const WINDOW_MS = 60_000

/**
 * Every call one watch makes, over a sliding 60 s window. Each call is made only when the last
 * 60 s hold fewer than `perMinute`, so no minute (not just the average) holds more, whatever the
 * size of the fleet. Optional calls (a quicker poll, instance reads while the deployment runs)
 * also leave `reserve` calls free, so the calls that must be made (the polls at the slow cadence,
 * the reads at the end) almost never wait.
 */
export class CallBudget {
  /** When each call of the last 60 s was made, oldest first. */
  private readonly sent: number[] = []

  constructor(
    private readonly clock: Clock,
    readonly perMinute: number,
    readonly reserve: number
  ) {
    if (perMinute <= reserve) throw new RangeError(`CallBudget: ${perMinute} calls a minute leave nothing beyond the reserve of ${reserve}`)
  }

  /** Optional calls that fit now. */
  available(): number {
    return this.room(this.reserve)
  }

  /** Waits until one call fits (an optional one, or with `required`, one that may use the reserve), then records it. */
  async take(signal: AbortSignal, required = false): Promise<void> {
    // A cancel ends the wait at once; the call then fails fast on the aborted signal.
    while (this.room(required ? 0 : this.reserve) < 1 && !signal.aborted) {
      await this.clock.sleep(this.sent[0]! + WINDOW_MS - this.clock.now(), signal)
    }
    this.sent.push(this.clock.now())
  }

  private room(reserve: number): number {
    const since = this.clock.now() - WINDOW_MS
    while (this.sent.length > 0 && this.sent[0]! <= since) this.sent.shift()
    return Math.max(0, this.perMinute - reserve - this.sent.length)
  }
}
