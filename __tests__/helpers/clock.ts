import type { Clock } from '../../src/core/clock.js'

/**
 * A virtual clock: `sleep` advances `now` at once (after a microtask, so other promises run) and
 * records how long it was asked to wait. An aborted signal ends a sleep without advancing time.
 */
export class FakeClock implements Clock {
  readonly sleeps: number[] = []
  /** Called after each sleep, with the new time: lets a test act "while" the code waits. */
  onSleep: ((now: number) => void) | undefined

  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms)
    await Promise.resolve()
    if (signal?.aborted) return
    this.current += Math.max(0, ms)
    this.onSleep?.(this.current)
  }

  advance(ms: number): void {
    this.current += ms
  }
}
