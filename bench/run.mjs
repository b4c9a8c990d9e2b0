// @ts-check
// `npm run bench`: runs every bench/*.bench.mjs in turn (sorted by name), each in a process of
// its own so one benchmark's memory never counts against the next. Exits non-zero if any failed
// or missed its target. `npm run bench -- package` (or BENCH_CASES=package,e2e) runs only the
// benchmarks whose name matches. A benchmark that exits 3 was skipped (a peer tool is missing): it
// says why and how to install it, and the summary lists it as SKIP without failing the run.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const dir = path.dirname(fileURLToPath(import.meta.url))
const only = [...process.argv.slice(2), ...(process.env['BENCH_CASES'] ?? '').split(',').filter(Boolean)]
const SKIPPED = 3
const benches = fs
  .readdirSync(dir)
  .filter(name => name.endsWith('.bench.mjs'))
  .filter(name => only.length === 0 || only.some(word => name.includes(word)))
  .sort()

if (benches.length === 0) {
  process.stderr.write(`no bench/*.bench.mjs matches ${only.join(' ') || '(anything)'}\n`)
  process.exit(1)
}

const results = []
for (const name of benches) {
  process.stdout.write(`\n### ${name}\n`)
  const started = performance.now()
  const { status, signal } = spawnSync(process.execPath, [path.join(dir, name)], { stdio: 'inherit' })
  results.push({
    name,
    ok: status === 0 || status === SKIPPED,
    skipped: status === SKIPPED,
    how: signal ? `killed by ${signal}` : `exit ${status}`,
    seconds: (performance.now() - started) / 1000
  })
}

process.stdout.write('\n')
for (const r of results)
  process.stdout.write(`${r.skipped ? 'SKIP' : r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.how}, ${r.seconds.toFixed(0)} s)\n`)
if (results.some(r => !r.ok)) process.exitCode = 1
