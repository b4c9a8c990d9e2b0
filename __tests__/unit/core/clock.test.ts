/**
 * clock.ts: the real clock's sleep (waits, ends early and quietly on abort, leaves no timer or
 * listener behind) and full-jitter backoff with an injected random.
 */
import { getEventListeners } from 'node:events'
import { backoff, systemClock } from '../../../src/core/clock.js'

/** Live timers of this process, as Node counts them. */
const timers = (): number => process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length

/** The promise's outcome, or 'still waiting' after `ms` of real time. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  let guard: NodeJS.Timeout | undefined
  const late = new Promise<'still waiting'>(resolve => {
    guard = setTimeout(() => resolve('still waiting'), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(guard)
  }
}

describe('systemClock', () => {
  test('now() is the wall clock', () => {
    const before = Date.now()
    const now = systemClock.now()
    expect(now).toBeGreaterThanOrEqual(before)
    expect(now).toBeLessThanOrEqual(Date.now())
  })

  test('sleep waits about as long as asked', async () => {
    const start = performance.now()
    await systemClock.sleep(60)
    const waited = performance.now() - start
    expect(waited).toBeGreaterThanOrEqual(55)
    expect(waited).toBeLessThan(1000)
  })

  test('sleep does not end before its time', async () => {
    expect(await within(systemClock.sleep(500), 50)).toBe('still waiting')
  })

  test('an abort ends a long sleep at once, without throwing, and clears its timer', async () => {
    const controller = new AbortController()
    const idle = timers()
    const sleeping = systemClock.sleep(10 * 60_000, controller.signal)
    expect(timers()).toBe(idle + 1)
    controller.abort()
    expect(timers()).toBe(idle)
    expect(await within(sleeping, 1000)).toBeUndefined()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  test('a signal already aborted: resolves at once, setting no timer and no listener', async () => {
    const controller = new AbortController()
    controller.abort()
    const idle = timers()
    const sleeping = systemClock.sleep(10 * 60_000, controller.signal)
    expect(timers()).toBe(idle)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    expect(await within(sleeping, 1000)).toBeUndefined()
  })

  test('a sleep that runs its course removes its abort listener', async () => {
    const controller = new AbortController()
    const sleeping = systemClock.sleep(5, controller.signal)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    await sleeping
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    expect(controller.signal.aborted).toBe(false)
  })
})

describe('backoff', () => {
  test('the cap doubles with each attempt, from the base', () => {
    const top = (): number => 1
    expect([0, 1, 2, 3, 4].map(attempt => backoff(attempt, 100, 60_000, top))).toEqual([100, 200, 400, 800, 1600])
  })

  test('the cap never exceeds the maximum', () => {
    const top = (): number => 1
    expect(backoff(10, 100, 5_000, top)).toBe(5_000)
    expect(backoff(60, 1_000, 30_000, top)).toBe(30_000)
  })

  test('full jitter: the random fraction of the cap, rounded to whole ms', () => {
    expect(backoff(3, 100, 60_000, () => 0)).toBe(0)
    expect(backoff(3, 100, 60_000, () => 0.5)).toBe(400)
    expect(backoff(0, 100, 60_000, () => 0.123)).toBe(12)
    expect(backoff(0, 100, 60_000, () => 0.126)).toBe(13)
    expect(backoff(10, 100, 5_000, () => 0.25)).toBe(1_250)
  })

  test('by default Math.random, within 0 and the cap', () => {
    const waits = Array.from({ length: 200 }, () => backoff(2, 100, 60_000))
    for (const wait of waits) {
      expect(Number.isInteger(wait)).toBe(true)
      expect(wait).toBeGreaterThanOrEqual(0)
      expect(wait).toBeLessThanOrEqual(400)
    }
    expect(new Set(waits).size).toBeGreaterThan(1)
  })
})
