/**
 * progress.ts: the long-work progress lines, on a fake clock. Quiet for work under 10 s; then one
 * line per 10 s at most, with percent, MB, rate and the time left.
 */
import { duration, megabytes, ProgressMeter, rateText, sizeText } from '../../../src/core/progress.js'
import { FakeClock } from '../../helpers/clock.js'
import { LineLog } from '../../helpers/deps.js'

const MB = 1_000_000

/** Feeds the meter `chunks` equal chunks of `total` bytes, one every `stepMs` of fake time. */
function run(meter: ProgressMeter, clock: FakeClock, total: number, chunks: number, stepMs: number): void {
  for (let i = 1; i <= chunks; i++) {
    clock.advance(stepMs)
    meter.update(Math.round((total * i) / chunks))
  }
}

describe('ProgressMeter', () => {
  test('work that ends within 10 s prints nothing', () => {
    const clock = new FakeClock()
    const log = new LineLog()
    const meter = new ProgressMeter('Packaging', 50 * MB, clock, log)
    run(meter, clock, 50 * MB, 99, 100) // 9.9 s
    expect(log.lines).toEqual([])
  })

  test('617 MB at 10 MB/s: a line every 10 s with percent, MB, rate and time left', () => {
    const clock = new FakeClock()
    const log = new LineLog()
    const meter = new ProgressMeter('Uploading', 617 * MB, clock, log)
    // 1 MB every 100 ms, so 10 MB/s, for 61.7 s.
    run(meter, clock, 617 * MB, 617, 100)
    expect(log.lines).toEqual([
      'Uploading: 16% (100.0 of 617.0 MB), 10.0 MB/s, about 52 s left',
      'Uploading: 32% (200.0 of 617.0 MB), 10.0 MB/s, about 42 s left',
      'Uploading: 48% (300.0 of 617.0 MB), 10.0 MB/s, about 32 s left',
      'Uploading: 64% (400.0 of 617.0 MB), 10.0 MB/s, about 22 s left',
      'Uploading: 81% (500.0 of 617.0 MB), 10.0 MB/s, about 12 s left',
      'Uploading: 97% (600.0 of 617.0 MB), 10.0 MB/s, about 2 s left'
    ])
  })

  test('updates many times a second still give one line per 10 s', () => {
    const clock = new FakeClock()
    const log = new LineLog()
    const meter = new ProgressMeter('Packaging', 1000 * MB, clock, log)
    run(meter, clock, 1000 * MB, 35_000, 1) // 35 s, an update every millisecond
    expect(log.lines).toHaveLength(3)
  })

  test('a pause between updates: the next update prints at once, with the rate averaged since the start', () => {
    const clock = new FakeClock()
    const log = new LineLog()
    const meter = new ProgressMeter('Uploading', 100 * MB, clock, log)
    meter.update(10 * MB)
    clock.advance(40_000)
    meter.update(20 * MB)
    expect(log.lines).toEqual(['Uploading: 20% (20.0 of 100.0 MB), 0.5 MB/s, about 2 min 40 s left'])
  })

  test('an unknown total: MB and rate only', () => {
    const clock = new FakeClock()
    const log = new LineLog()
    const meter = new ProgressMeter('Packaging', 0, clock, log)
    clock.advance(12_000)
    meter.update(30 * MB)
    expect(log.lines).toEqual(['Packaging: 30.0 MB, 2.5 MB/s'])
  })

  test('more bytes than the total (a tree that grew) never reads 100% before the end', () => {
    const clock = new FakeClock()
    const log = new LineLog()
    const meter = new ProgressMeter('Packaging', 10 * MB, clock, log)
    clock.advance(10_000)
    meter.update(12 * MB)
    expect(log.lines).toEqual(['Packaging: 99% (12.0 of 10.0 MB), 1.2 MB/s, about 0 s left'])
  })

  test('the interval can be set; update works detached, as a callback', () => {
    const clock = new FakeClock()
    const log = new LineLog()
    const onProgress: (done: number) => void = new ProgressMeter('Uploading', 10 * MB, clock, log, 1000).update
    clock.advance(1000)
    onProgress(MB)
    clock.advance(500)
    onProgress(2 * MB)
    expect(log.lines).toEqual(['Uploading: 10% (1.0 of 10.0 MB), 1.0 MB/s, about 9 s left'])
  })
})

describe('formats', () => {
  test('megabytes and durations', () => {
    expect(megabytes(617_300_000)).toBe('617.3')
    expect([4375, 999_949, 1_000_000, 617_300_000].map(sizeText)).toEqual(['4.4 kB', '999.9 kB', '1.0 MB', '617.3 MB'])
    expect([rateText(617_000_000, 61_700), rateText(4375, 100), rateText(4375, 0)]).toEqual(['10.0 MB/s', '43.8 kB/s', ''])
    expect([0.4, 8, 59.6, 125, 3600, 3780].map(duration)).toEqual(['0 s', '8 s', '1 min', '2 min 5 s', '1 h', '1 h 3 min'])
  })
})
