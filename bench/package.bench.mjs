// @ts-check
// Packaging benchmark: the action's packager (src/source/walk-tree.ts + src/bundle/write-bundle.ts, built with ncc
// exactly as they go into dist/) against Info-ZIP `zip -r -q` on the same generated trees, in
// the same run. Prints wall time, peak RSS, bundle size and the time ratio against zip -r.
//
//   node bench/package.bench.mjs            # both trees (generated once under bench/.trees/)
//   BENCH_TREES=small node bench/package.bench.mjs
//   BENCH_RUNS=3 BENCH_TREES_DIR=/tmp/trees node bench/package.bench.mjs
//
// Targets (DESIGN.md): time ratio at most 1.0 on both trees, packager peak RSS under 256 MB.
import { execFileSync, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { ensureTree } from './lib/make-tree.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MB = 1 << 20
const RSS_TARGET = 256 * MB
const TREES = [
  { name: 'small', files: 5_000, bytes: 60 * MB, runs: 3 },
  { name: 'large', files: 40_000, bytes: 1024 * MB, runs: 2 }
]
const wanted = (process.env['BENCH_TREES'] ?? 'small,large').split(',')
const runs = Number(process.env['BENCH_RUNS'] ?? 0)
const treesDir = process.env['BENCH_TREES_DIR'] ?? path.join(ROOT, 'bench', '.trees')

/** @param {string} line */
const say = line => process.stdout.write(`${line}\n`)

function ensureInfoZip() {
  /** @param {string} tool */
  const has = tool => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  }
  if (has('zip') && has('unzip')) return
  say('Info-ZIP zip/unzip not found: installing them with apt-get.')
  // As root (CI containers, this machine) apt-get runs as it is; elsewhere through sudo.
  /** @param {string[]} args */
  const apt = (...args) => {
    const [command, ...rest] = process.getuid?.() === 0 ? ['apt-get', ...args] : ['sudo', 'apt-get', ...args]
    execFileSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  }
  apt('update', '-qq')
  apt('install', '-y', '-qq', 'zip', 'unzip')
}

/** ncc builds of the packager's two entry points, the same code and bundler dist/ uses. */
function buildPackager() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cda-bench-build-'))
  const ncc = path.join(ROOT, 'node_modules', '.bin', 'ncc')
  for (const { name, source } of [
    { name: 'walk-tree', source: 'src/source/walk-tree.ts' },
    { name: 'write-bundle', source: 'src/bundle/write-bundle.ts' }
  ]) {
    execFileSync(ncc, ['build', source, '-o', path.join(dir, name), '-q', '--target', 'es2022'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit']
    })
  }
  return dir
}

/**
 * Runs a command under /usr/bin/time: wall time (measured here) and peak RSS (from time -f %M).
 * @param {string} command @param {string[]} args @param {string} cwd
 */
async function measure(command, args, cwd) {
  const started = performance.now()
  const child = spawn('/usr/bin/time', ['-f', 'maxrss-kb=%M', command, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => (stdout += chunk))
  child.stderr.on('data', chunk => (stderr += chunk))
  const code = await new Promise(resolve => child.on('close', resolve))
  const seconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`)
  const rss = /maxrss-kb=(\d+)/.exec(stderr)
  return { seconds, rss: rss ? Number(rss[1]) * 1024 : NaN, stdout }
}

/** Reads every file once, so neither tool pays for a cold page cache. @param {string} dir */
function warm(dir) {
  execFileSync('sh', ['-c', 'find . -type f -print0 | xargs -0 cat > /dev/null'], { cwd: dir })
}

/** @param {number[]} values */
const median = values => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? NaN
/** @param {number} bytes */
const fmtMb = bytes => (bytes / MB).toFixed(1)

/**
 * @param {{ name: string, files: number, bytes: number, runs: number }} spec
 * @param {string} buildDir
 * @returns {Promise<boolean>} whether the targets were met
 */
async function benchTree(spec, buildDir) {
  const root = path.join(treesDir, spec.name)
  const started = performance.now()
  const { reused } = ensureTree(root, spec)
  say(
    `\n== ${spec.name} tree: ${spec.files.toLocaleString('en')} files, ${fmtMb(spec.bytes)} MB (${reused ? 'reused' : `generated in ${((performance.now() - started) / 1000).toFixed(1)} s`}) at ${path.relative(ROOT, root) || root}`
  )
  warm(root)
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `cda-bench-${spec.name}-`))
  /** @type {Array<{ seconds: number, rss: number, stdout: string }>} */
  const ours = []
  /** @type {Array<{ seconds: number, rss: number, stdout: string }>} */
  const theirs = []
  /** @type {{ entries: number, size: number, sha256: string, file: string } | undefined} */
  let ourResult
  let zipSize = 0
  try {
    const count = runs || spec.runs
    for (let i = 0; i < count; i++) {
      // Alternate, so a slower moment of the machine does not land on one tool only.
      const run = await measure(process.execPath, [path.join(ROOT, 'bench', 'lib', 'package-child.mjs'), buildDir, root, out, 'zip'], ROOT)
      const result = /** @type {{ entries: number, size: number, sha256: string, file: string }} */ (JSON.parse(run.stdout))
      if (ourResult && result.sha256 !== ourResult.sha256)
        throw new Error(`two runs on the same tree gave different bundles: ${ourResult.sha256} and ${result.sha256}`)
      if (ourResult) fs.rmSync(path.dirname(ourResult.file), { recursive: true, force: true })
      ourResult = result
      ours.push(run)

      const zipFile = path.join(out, 'info-zip.zip')
      fs.rmSync(zipFile, { force: true })
      // -y stores symlinks as links (as the action does) instead of following them; -x leaves
      // out what the action leaves out, so both write the same content.
      theirs.push(await measure('zip', ['-r', '-q', '-y', zipFile, '.', '-x', 'node_modules/*', '*/node_modules/*', '.git/*'], root))
      zipSize = fs.statSync(zipFile).size
    }
    if (!ourResult) throw new Error('no run')
    const check = execFileSync('unzip', ['-tq', ourResult.file], { encoding: 'utf8', maxBuffer: 64 * MB })
    if (!/No errors detected/.test(check)) throw new Error(`unzip -t rejected the packager's bundle: ${check}`)
  } finally {
    fs.rmSync(out, { recursive: true, force: true })
  }
  if (!ourResult) throw new Error('no run')
  const ourTime = median(ours.map(r => r.seconds))
  const zipTime = median(theirs.map(r => r.seconds))
  const ourRss = Math.max(...ours.map(r => r.rss))
  const ratio = ourTime / zipTime
  /** @param {string} tool @param {number} seconds @param {number} rss @param {number} size @param {string} r */
  const row = (tool, seconds, rss, size, r) =>
    `${tool.padEnd(22)} ${seconds.toFixed(2).padStart(8)} ${fmtMb(rss).padStart(12)} ${fmtMb(size).padStart(10)} ${r.padStart(16)}`
  say(
    `${'tool'.padEnd(22)} ${'wall s'.padStart(8)} ${'peak RSS MB'.padStart(12)} ${'size MB'.padStart(10)} ${'time vs zip -r'.padStart(16)}`
  )
  say(row('codedeploy-action', ourTime, ourRss, ourResult.size, ratio.toFixed(2)))
  say(row('zip -r -q (Info-ZIP)', zipTime, Math.max(...theirs.map(r => r.rss)), zipSize, '1.00'))
  say(
    `(median of ${ours.length} runs each; ${ourResult.entries.toLocaleString('en')} entries; unzip -t: OK; runs: ${ours.map(r => r.seconds.toFixed(2)).join(', ')} vs ${theirs.map(r => r.seconds.toFixed(2)).join(', ')})`
  )
  const misses = []
  if (ratio > 1.0) misses.push(`time ratio ${ratio.toFixed(2)} > 1.0`)
  if (ourRss >= RSS_TARGET) misses.push(`peak RSS ${fmtMb(ourRss)} MB >= 256 MB`)
  say(misses.length ? `target MISSED: ${misses.join('; ')}` : 'target met: ratio <= 1.0, peak RSS < 256 MB')
  return misses.length === 0
}

ensureInfoZip()
say(
  `Packaging benchmark on ${os.cpus().length} CPU(s), Node ${process.version}, ${execFileSync('zip', ['-v'], { encoding: 'utf8' }).split('\n')[1]?.trim()}`
)
const buildDir = buildPackager()
let ok = true
try {
  for (const spec of TREES.filter(t => wanted.includes(t.name))) ok = (await benchTree(spec, buildDir)) && ok
} finally {
  fs.rmSync(buildDir, { recursive: true, force: true })
}
if (!ok) process.exitCode = 1
