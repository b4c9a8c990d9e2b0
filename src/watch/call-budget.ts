import type { Clock } from '../core/clock.js'

/**
 * A token bucket for API calls: `perMinute` on average, at most `burst` at once. The watch asks
 * it before optional reads (instance details), so a 1,000-instance deployment costs about as
 * many calls a minute as a 3-instance one; calls that must happen are recorded all the same,
 * and the debt they leave is paid back before the next optional read.
 */
export class CallBudget {
  private tokens: number
  private last: number

  constructor(
    private readonly clock: Clock,
    readonly perMinute: number,
    private readonly burst: number
  ) {
    this.tokens = burst
    this.last = clock.now()
  }

  /** Whole calls that fit in the budget now. */
  available(): number {
    this.refill()
    return Math.max(0, Math.floor(this.tokens))
  }

  spend(calls: number): void {
    this.refill()
    this.tokens -= calls
  }

  private refill(): void {
    const now = this.clock.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perMinute) / 60_000)
    this.last = now
  }
}
