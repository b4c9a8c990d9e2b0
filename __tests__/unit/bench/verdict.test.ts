// The figures `npm run bench` prints and passes or fails on (bench/lib/verdict.mjs); the timed runs are not tested.
const { median, verdict, awsCliVersion, MB } = await import('../../../bench/lib/verdict.mjs')

test('median: the middle run, the mean of the two middle runs for an even count, NaN for none', () => {
  expect(median([3, 1, 2])).toBe(2)
  expect(median([10, 1, 4, 2])).toBe(3)
  expect(median([5])).toBe(5)
  expect(median([])).toBeNaN()
})

test('verdict: the ratio of the medians against the target, and peak RSS under 256 MB', () => {
  const met = verdict({ ours: [6, 5, 30], peer: [10, 11, 9], rss: 200 * MB, target: 0.6 })
  expect(met).toMatchObject({ ours: 6, peer: 10, ok: true, misses: [] })
  expect(met.ratio).toBeCloseTo(0.6)

  const slow = verdict({ ours: [7, 7, 7], peer: [10, 10, 10], rss: 200 * MB, target: 0.6 })
  expect(slow.ok).toBe(false)
  expect(slow.misses).toEqual(['time ratio 0.70 > 0.6'])

  const big = verdict({ ours: [1], peer: [10], rss: 256 * MB, target: 0.6 })
  expect(big.misses).toEqual(['peak RSS 256.0 MB >= 256.0 MB'])
})

test('verdict: no runs or an unknown peak RSS miss rather than pass', () => {
  expect(verdict({ ours: [], peer: [10], rss: 100 * MB, target: 0.6 }).ok).toBe(false)
  expect(verdict({ ours: [1], peer: [0], rss: 100 * MB, target: 0.6 }).ok).toBe(false)
  expect(verdict({ ours: [1], peer: [10], rss: NaN, target: 0.6 }).misses).toEqual(['peak RSS NaN MB >= 256.0 MB'])
})

test('awsCliVersion reads `aws --version`, and nothing else', () => {
  expect(awsCliVersion('aws-cli/2.9.19 Python/3.11.2 Linux/6.1 source/x86_64.debian.12 prompt/off\n')).toEqual({
    major: 2,
    version: '2.9.19'
  })
  expect(awsCliVersion('aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11')).toEqual({ major: 1, version: '1.45.11' })
  expect(awsCliVersion('command not found: aws')).toBeUndefined()
})
