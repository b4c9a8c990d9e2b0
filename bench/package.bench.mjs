// @ts-check
// Packaging benchmark: the action's packager (src/source/walk-tree.ts feeding src/bundle/write-bundle.ts, built with ncc
// exactly as they go into dist/) against the tool people use for the same bundle, on the same
// generated tree, in the same run: zip against Info-ZIP `zip -r -q`, tgz against `tar czf` (GNU
// tar piping to gzip -6). Each case prints wall time (the median of its runs, the two tools
// alternating), peak RSS, bundle size and the time ratio. The packager runs under the Node that
// action.yml declares (node24), as a runner runs it; see lib/runtime.mjs (BENCH_NODE=<path> to choose).
//
//   node bench/package.bench.mjs                                # every case
//   BENCH_TREES=vendor BENCH_TYPES=tgz node bench/package.bench.mjs
//   BENCH_RUNS=3 BENCH_TREES_DIR=/tmp/trees node bench/package.bench.mjs
//
// Targets: the ratio of each case (DESIGN.md, issue 13) and packager peak RSS under 256 MB.
import { execFileSync, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { ensureTree } from './lib/make-tree.mjs'
import { actionRuntime } from './lib/runtime.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MB = 1 << 20
const RSS_TARGET = 256 * MB
/** @type {Array<import('./lib/make-tree.mjs').TreeSpec & { runs: number }>} */
const TREES = [
  { name: 'small', files: 5_000, bytes: 60 * MB, runs: 3 },
  { name: 'large', files: 40_000, bytes: 1024 * MB, runs: 2 },
  // A PHP vendor/: 70,000 files of about 150 bytes in 70 folders, where per-file costs are everything.
  // 5 runs: each takes about a second, so the median is worth the few seconds more against the machine's swings.
  { name: 'vendor', files: 70_000, bytes: 70_000 * 150, shape: 'vendor', runs: 5 }
]
/**
 * Our writer on a tree against the peer for its type; `target`: the highest time ratio that passes
 * (DESIGN.md: no worse than the peer; issue 13: zip at most 0.5 on the large tree and 0.8 on the
 * vendor tree, tgz at most 1.0 there and 0.6 on the large tree).
 */
const CASES = [
  { tree: 'small', type: 'zip', target: 1.0 },
  { tree: 'large', type: 'zip', target: 0.5 },
  { tree: 'vendor', type: 'zip', target: 0.8 },
  { tree: 'vendor', type: 'tgz', target: 1.0 },
  { tree: 'small', type: 'tgz', target: 1.0 },
  // One gzip stream is one core; the action deflates pieces on every core.
  { tree: 'large', type: 'tgz', target: 0.6 }
]
const wantedTrees = (process.env['BENCH_TREES'] ?? TREES.map(t => t.name).join(',')).split(',')
const wantedTypes = (process.env['BENCH_TYPES'] ?? 'zip,tgz').split(',')
const runs = Number(process.env['BENCH_RUNS'] ?? 0)
const treesDir = process.env['BENCH_TREES_DIR'] ?? path.join(ROOT, 'bench', '.trees')

/** @param {string} line */
const say = line => process.stdout.write(`${line}\n`)

/** What the action leaves out by default (node_modules/ at any depth, .git/), as each peer spells it. */
const PEERS = {
  zip: {
    label: 'zip -r -q (Info-ZIP)',
    // -y stores symlinks as links (as the action does) instead of following them.
    /** @param {string} file */
    args: file => ['zip', ['-r', '-q', '-y', file, '.', '-x', 'node_modules/*', '*/node_modules/*', '.git/*']],
    /** @param {string} file */
    check: file => {
      const out = execFileSync('unzip', ['-tq', file], { encoding: 'utf8', maxBuffer: 64 * MB })
      if (!/No errors detected/.test(out)) throw new Error(`unzip -t rejected the packager's bundle: ${out}`)
      return 'unzip -t: OK'
    }
  },
  tgz: {
    label: 'tar czf (GNU tar, gzip -6)',
    /** @param {string} file */
    args: file => ['tar', ['-czf', file, '--exclude=node_modules', '--exclude=.git', '.']],
    /** @param {string} file */
    check: file => {
      execFileSync('gzip', ['-t', file])
      execFileSync('sh', ['-c', 'tar -tzf "$1" > /dev/null', 'sh', file])
      return 'gzip -t, tar -tzf: OK'
    }
  }
}

function ensureTools() {
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

/** ncc builds of the packager's entry points (the walk, its feed, the writer): the same code and bundler dist/ uses. */
function buildPackager() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cda-bench-build-'))
  const ncc = path.join(ROOT, 'node_modules', '.bin', 'ncc')
  for (const { name, source } of [
    { name: 'walk-tree', source: 'src/source/walk-tree.ts' },
    { name: 'entry-feed', source: 'src/source/entry-feed.ts' },
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
 * @param {{ tree: string, type: string, target: number }} spec
 * @param {import('./lib/make-tree.mjs').TreeSpec & { runs: number }} tree
 * @param {string} buildDir
 * @returns {Promise<{ name: string, ratio: number, rss: number, ok: boolean }>}
 */
async function benchCase(spec, tree, buildDir) {
  const peer = spec.type === 'zip' ? PEERS.zip : PEERS.tgz
  const root = path.join(treesDir, tree.name)
  const started = performance.now()
  const { reused } = ensureTree(root, tree)
  say(
    `\n== ${spec.type} on the ${tree.name} tree: ${tree.files.toLocaleString('en')} files, ${fmtMb(tree.bytes)} MB (${reused ? 'reused' : `generated in ${((performance.now() - started) / 1000).toFixed(1)} s`}) at ${path.relative(ROOT, root) || root}`
  )
  warm(root)
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `cda-bench-${tree.name}-`))
  /** @type {Array<{ seconds: number, rss: number, stdout: string }>} */
  const ours = []
  /** @type {Array<{ seconds: number, rss: number, stdout: string }>} */
  const theirs = []
  /** @type {{ entries: number, size: number, sha256: string, file: string } | undefined} */
  let ourResult
  let peerSize = 0
  /** @type {string | undefined} */
  let checked
  try {
    const count = runs || tree.runs
    for (let i = 0; i < count; i++) {
      // Alternate, so a slower moment of the machine does not land on one tool only. Run in the tree, as the
      // action runs in the workspace with source-dir '.' (and as the peer runs below).
      const run = await measure(runtime.node, [path.join(ROOT, 'bench', 'lib', 'package-child.mjs'), buildDir, root, out, spec.type], root)
      const result = /** @type {{ entries: number, size: number, sha256: string, file: string }} */ (JSON.parse(run.stdout))
      if (ourResult && result.sha256 !== ourResult.sha256)
        throw new Error(`two runs on the same tree gave different bundles: ${ourResult.sha256} and ${result.sha256}`)
      if (ourResult) fs.rmSync(path.dirname(ourResult.file), { recursive: true, force: true })
      ourResult = result
      ours.push(run)

      const peerFile = path.join(out, `peer.${spec.type}`)
      fs.rmSync(peerFile, { force: true })
      const [command, args] = peer.args(peerFile)
      theirs.push(await measure(/** @type {string} */ (command), /** @type {string[]} */ (args), root))
      peerSize = fs.statSync(peerFile).size
    }
    if (!ourResult) throw new Error('no run')
    checked = peer.check(ourResult.file)
  } finally {
    fs.rmSync(out, { recursive: true, force: true })
  }
  if (!ourResult) throw new Error('no run')
  const ourTime = median(ours.map(r => r.seconds))
  const peerTime = median(theirs.map(r => r.seconds))
  const ourRss = Math.max(...ours.map(r => r.rss))
  const ratio = ourTime / peerTime
  /** @param {string} tool @param {number} seconds @param {number} rss @param {number} size @param {string} r */
  const row = (tool, seconds, rss, size, r) =>
    `${tool.padEnd(28)} ${seconds.toFixed(2).padStart(8)} ${fmtMb(rss).padStart(12)} ${fmtMb(size).padStart(10)} ${r.padStart(10)}`
  say(`${'tool'.padEnd(28)} ${'wall s'.padStart(8)} ${'peak RSS MB'.padStart(12)} ${'size MB'.padStart(10)} ${'ratio'.padStart(10)}`)
  say(row('codedeploy-action', ourTime, ourRss, ourResult.size, ratio.toFixed(2)))
  say(row(peer.label, peerTime, Math.max(...theirs.map(r => r.rss)), peerSize, '1.00'))
  say(
    `(median of ${ours.length} runs each; ${ourResult.entries.toLocaleString('en')} entries; ${checked}; runs: ${ours.map(r => r.seconds.toFixed(2)).join(', ')} vs ${theirs.map(r => r.seconds.toFixed(2)).join(', ')})`
  )
  const misses = []
  if (ratio > spec.target) misses.push(`time ratio ${ratio.toFixed(2)} > ${spec.target}`)
  if (ourRss >= RSS_TARGET) misses.push(`peak RSS ${fmtMb(ourRss)} MB >= 256 MB`)
  say(misses.length ? `target MISSED: ${misses.join('; ')}` : `target met: ratio <= ${spec.target}, peak RSS < 256 MB`)
  return { name: `${spec.type} / ${tree.name}`, ratio, rss: ourRss, ok: misses.length === 0 }
}

ensureTools()
const runtime = actionRuntime()
say(
  `Packaging benchmark on ${os.cpus().length} CPU(s), the packager under ${runtime.label}, ${execFileSync('zip', ['-v'], { encoding: 'utf8' }).split('\n')[1]?.trim()}, ${execFileSync('tar', ['--version'], { encoding: 'utf8' }).split('\n')[0]}`
)
const buildDir = buildPackager()
const results = []
try {
  for (const spec of CASES.filter(c => wantedTrees.includes(c.tree) && wantedTypes.includes(c.type))) {
    const tree = TREES.find(t => t.name === spec.tree)
    if (tree) results.push(await benchCase(spec, tree, buildDir))
  }
} finally {
  fs.rmSync(buildDir, { recursive: true, force: true })
}
say('\n== summary (time ratio against the peer, from this run)')
for (const r of results) say(`${r.ok ? 'ok  ' : 'MISS'} ${r.name.padEnd(16)} ratio ${r.ratio.toFixed(2)}  peak RSS ${fmtMb(r.rss)} MB`)
if (results.some(r => !r.ok)) process.exitCode = 1
