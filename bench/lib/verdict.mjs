// @ts-check
// The arithmetic every bench case prints its figures with: the median of the runs, the time ratio
// against the peer, and the verdict against the targets (the ratio and peak RSS). Kept apart so it is
// tested (__tests__/unit/bench/verdict.test.ts) while the timed runs themselves are not.

export const MB = 1 << 20
/** Issue 13: peak RSS under 256 MB everywhere. */
export const RSS_TARGET = 256 * MB

/**
 * The median: the middle value, or the mean of the two middle values of an even count; NaN for none.
 * @param {number[]} values
 */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  if (n === 0) return NaN
  const high = sorted[Math.floor(n / 2)] ?? NaN
  return n % 2 === 1 ? high : ((sorted[n / 2 - 1] ?? NaN) + high) / 2
}

/**
 * Ours against the peer: the ratio of the medians (below 1: ours is faster) and every target missed.
 * A ratio that is not a number (no run, a zero-time peer) misses rather than passes.
 * @param {{ ours: number[], peer: number[], rss: number, target: number, rssTarget?: number }} m
 *   ours / peer: wall seconds of each run; rss: our peak RSS in bytes; target: the highest passing ratio
 * @returns {{ ours: number, peer: number, ratio: number, misses: string[], ok: boolean }}
 */
export function verdict(m) {
  const ours = median(m.ours)
  const peer = median(m.peer)
  const ratio = ours / peer
  const rssTarget = m.rssTarget ?? RSS_TARGET
  const misses = []
  if (!Number.isFinite(ratio)) misses.push(`no time ratio (ours ${ours} s, peer ${peer} s)`)
  else if (ratio > m.target) misses.push(`time ratio ${ratio.toFixed(2)} > ${m.target}`)
  if (!(m.rss < rssTarget)) misses.push(`peak RSS ${fmtMb(m.rss)} MB >= ${fmtMb(rssTarget)} MB`)
  return { ours, peer, ratio, misses, ok: misses.length === 0 }
}

/** @param {number} bytes */
export const fmtMb = bytes => (bytes / MB).toFixed(1)

/**
 * The major version and the version of an `aws --version` line ("aws-cli/2.9.19 Python/3.11.2 ..."),
 * or undefined for anything else.
 * @param {string} line
 * @returns {{ major: number, version: string } | undefined}
 */
export function awsCliVersion(line) {
  const match = /^aws-cli\/((\d+)\.\d+\.\d+)/.exec(line.trim())
  return match ? { major: Number(match[2]), version: /** @type {string} */ (match[1]) } : undefined
}
