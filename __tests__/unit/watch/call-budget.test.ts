import { CallBudget } from '../../../src/watch/call-budget.js'
import { FakeClock } from '../../helpers/clock.js'

describe('CallBudget', () => {
  const signal = new AbortController().signal

  test('optional calls fit in what the last 60 s leave beyond the reserve; old calls fall out of the window', async () => {
    const clock = new FakeClock()
    const budget = new CallBudget(clock, 60, 20)
    const start = clock.now()
    expect(budget.available()).toBe(40)
    for (let i = 0; i < 30; i++) await budget.take(signal)
    clock.advance(30_000)
    for (let i = 0; i < 10; i++) await budget.take(signal)
    expect(budget.available()).toBe(0)
    for (let i = 0; i < 5; i++) await budget.take(signal, true) // required calls use the reserve, without waiting
    expect(clock.now() - start).toBe(30_000)
    expect(budget.available()).toBe(0)
    clock.advance(29_999)
    expect(budget.available()).toBe(0)
    clock.advance(1) // the first 30 are 60 s old
    expect(budget.available()).toBe(25)
    clock.advance(30_000)
    expect(budget.available()).toBe(40)
  })

  test('take waits for room, then records the call; a required call waits only when the window is full', async () => {
    const clock = new FakeClock()
    const budget = new CallBudget(clock, 30, 10)
    const start = clock.now()
    for (let i = 0; i < 20; i++) await budget.take(signal)
    clock.advance(1000)
    await budget.take(signal)
    expect(clock.now() - start).toBe(60_000) // the first 20 left the window
    expect(budget.available()).toBe(19)
    for (let i = 0; i < 29; i++) await budget.take(signal, true)
    expect(clock.now() - start).toBe(60_000)
    await budget.take(signal, true)
    expect(clock.now() - start).toBe(120_000) // all 30 were made at 60 s
  })

  test('a cancel ends the wait at once', async () => {
    const clock = new FakeClock()
    const budget = new CallBudget(clock, 30, 10)
    for (let i = 0; i < 20; i++) await budget.take(signal)
    const cancel = new AbortController()
    cancel.abort()
    const start = clock.now()
    await budget.take(cancel.signal)
    expect(clock.now()).toBe(start)
  })

  test('refuses a rate that leaves nothing beyond the reserve', () => {
    expect(() => new CallBudget(new FakeClock(), 20, 20)).toThrow(/leave nothing beyond the reserve of 20/)
  })
})
