// @ts-check
// End-to-end benchmark (issue 13): the built action (dist/index.js, run as the runner runs it, with
// wait: false) packages a large tree, uploads it to the local S3 and creates the deployment on the
// CodeDeploy simulator, against what people script for the same job: `zip -r -q -y` then
// `aws s3 cp` to the same local S3, in the same run, the two alternating, the median of the runs.
//
//   node bench/e2e.bench.mjs                       # 28,000 files / 750 MB, as the issue measured; 3 runs each
//   BENCH_RUNS=5 BENCH_AWS=/usr/bin/aws node bench/e2e.bench.mjs
//
// Ours: from spawning the action to the simulator receiving CreateDeployment (node's start-up, the
// checks before packaging, packaging, upload and CreateDeployment; not the outputs and summary
// written after, which the table gives apart as the time to the action's exit). The deployment then runs to its end untimed (the simulated agent downloads
// and unpacks the bundle), before the next run starts, so it takes no CPU from either side.
// Peer: from starting zip to `aws s3 cp` exiting. Every run uses a fresh commit SHA and key, so both
// upload for real; both objects are read back from S3 and hashed against the bundle each side made.
// The action runs under the Node that action.yml declares (node24), as a runner runs it (lib/runtime.mjs).
// Targets: time ratio <= 0.6, the action's peak RSS < 256 MB.
// Needs the AWS CLI (BENCH_AWS, default `aws` on PATH); without it the case is skipped (exit 3).
import { execFileSync, spawn } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3'
import { startTestbed } from '../testbed/index.mjs'
import { runAction } from '../testbed/harness/run-action.mjs'
import { actionRuntime } from './lib/runtime.mjs'
import { ensureTree } from './lib/make-tree.mjs'
import { MB, awsCliVersion, fmtMb, median, verdict } from './lib/verdict.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** The tree of issue 13's end-to-end figure (ratio 0.87 before upload-while-packaging). */
const TREE = { name: 'e2e', files: 28_000, bytes: 750 * MB }
const TARGET = 0.6
/** bench/run.mjs reports this exit code as a skipped case, not a failure. */
const SKIPPED = 3
const runs = Number(process.env['BENCH_RUNS'] ?? 3)
const treesDir = path.resolve(process.env['BENCH_TREES_DIR'] ?? path.join(ROOT, 'bench', '.trees'))
const aws = process.env['BENCH_AWS'] ?? 'aws'
const BUCKET = 'e2e-bundles'

/** @param {string} line */
const say = line => process.stdout.write(`${line}\n`)

/** @param {string} why @returns {never} */
function skip(why) {
  say(`SKIPPED: ${why}`)
  process.exit(SKIPPED)
}

/** The AWS CLI's version line, or a skip that says how to install it. */
function awsVersion() {
  let line = ''
  try {
    line = execFileSync(aws, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
  } catch (err) {
    const e = /** @type {NodeJS.ErrnoException} */ (err)
    skip(
      `the end-to-end case needs the AWS CLI as its peer, and \`${aws} --version\` ${e.code === 'ENOENT' ? 'was not found' : `failed: ${e.message}`}.\n` +
        'Install it (Debian/Ubuntu: sudo apt-get install -y awscli; elsewhere: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html),\n' +
        'or point BENCH_AWS at one, then run it alone: BENCH_CASES=e2e npm run bench'
    )
  }
  const version = awsCliVersion(line)
  if (!version) skip(`\`${aws} --version\` printed '${line}', not an AWS CLI version`)
  if (version.major < 2)
    say(`note: AWS CLI v${version.version}; GitHub's runners have v2 (BENCH_AWS=/path/to/aws v2 to compare with that).`)
  return line
}

function requireZip() {
  try {
    execFileSync('sh', ['-c', 'command -v zip'], { stdio: 'ignore' })
  } catch {
    skip('Info-ZIP zip is not installed (Debian/Ubuntu: sudo apt-get install -y zip unzip)')
  }
}

/**
 * A command under /usr/bin/time: wall seconds (measured here) and peak RSS in bytes.
 * @param {string} command @param {string[]} args @param {{ cwd: string, env?: NodeJS.ProcessEnv }} options
 */
async function measure(command, args, options) {
  const started = performance.now()
  const child = spawn('/usr/bin/time', ['-f', 'maxrss-kb=%M', command, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', chunk => (output += chunk))
  child.stderr.on('data', chunk => (output += chunk))
  const code = await new Promise(resolve => child.on('close', resolve))
  const seconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${output.slice(-2000)}`)
  return { seconds, rss: peakRss(output) }
}

/** @param {string} stderr what /usr/bin/time -f maxrss-kb=%M wrote last */
function peakRss(stderr) {
  const match = /maxrss-kb=(\d+)\s*$/.exec(stderr)
  return match ? Number(match[1]) * 1024 : NaN
}

/** Reads every file once, so neither side pays for a cold page cache. @param {string} dir */
function warm(dir) {
  execFileSync('sh', ['-c', 'find . -type f -print0 | xargs -0 cat > /dev/null'], { cwd: dir })
}

/** @param {AsyncIterable<Uint8Array>} stream */
async function sha256Of(stream) {
  const hash = crypto.createHash('sha256')
  let size = 0
  for await (const chunk of stream) {
    hash.update(chunk)
    size += chunk.length
  }
  return { sha256: hash.digest('hex'), size }
}

/** The object as S3 holds it, hashed as it streams (never whole in memory), then deleted to save disk. */
async function takeObject(/** @type {import('../testbed/index.mjs').Testbed} */ tb, /** @type {string} */ key) {
  const res = await tb.s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
  if (!res.Body) throw new Error(`s3://${BUCKET}/${key}: no body`)
  const found = await sha256Of(/** @type {AsyncIterable<Uint8Array>} */ (res.Body))
  await tb.s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }))
  return found
}

const awsLine = awsVersion()
requireZip()
if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/index.js is missing: run npm run build first')

const root = path.join(treesDir, TREE.name)
const made = performance.now()
const { reused } = ensureTree(root, TREE)
const runtime = actionRuntime()
say(
  `End to end on ${os.cpus().length} CPU(s), the action under ${runtime.label}, ${awsLine.split(' ')[0]}, ${execFileSync('zip', ['-v'], { encoding: 'utf8' }).split('\n')[1]?.trim()}`
)
say(
  `tree: ${TREE.files.toLocaleString('en')} files, ${fmtMb(TREE.bytes)} MB (${reused ? 'reused' : `generated in ${((performance.now() - made) / 1000).toFixed(1)} s`}) at ${path.relative(ROOT, root) || root}`
)
warm(root)

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cda-e2e-bench-'))
// Long lifecycle steps are not needed: the deployment is waited for untimed, between runs.
const tb = await startTestbed({ stepMs: 20 })
/** @type {{ seconds: number, exitSeconds: number, rss: number, size: number, split: string }[]} */
const ours = []
/** @type {{ seconds: number, split: string, rss: number, size: number }[]} */
const theirs = []
try {
  await tb.s3.createBucket(BUCKET)
  tb.codedeploy.addApplication({ name: 'e2e-app' })
  tb.codedeploy.addDeploymentGroup({ applicationName: 'e2e-app', name: 'e2e', instances: 1 })
  // The peer as users run it against S3: default transfer settings, nothing from this machine's
  // config or credentials. Over HTTPS with Content-MD5 on each part, the CLI sends UNSIGNED-PAYLOAD;
  // over the local S3's plain HTTP it would also SHA-256 every part to sign it (botocore's
  // S3SigV4Auth), work it never does against S3, so payload signing is off as HTTPS has it.
  // Checksums only when required, as the action's runs here have them (tb.env); the CLI 2.9 ignores it.
  const awsConfig = path.join(out, 'aws-config')
  fs.writeFileSync(awsConfig, '[default]\ns3 =\n  payload_signing_enabled = false\n')
  /** @type {NodeJS.ProcessEnv} */
  const awsEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))),
    AWS_ACCESS_KEY_ID: tb.env['AWS_ACCESS_KEY_ID'],
    AWS_SECRET_ACCESS_KEY: tb.env['AWS_SECRET_ACCESS_KEY'],
    AWS_DEFAULT_REGION: tb.env['AWS_REGION'],
    AWS_CONFIG_FILE: awsConfig,
    AWS_SHARED_CREDENTIALS_FILE: path.join(out, 'no-aws-credentials'),
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: ''
  }

  const runOurs = async () => {
    // A fresh commit, so its key is free and the bundle really goes up (no reuse of an identical object).
    const sha = crypto.randomBytes(20).toString('hex')
    const started = Date.now()
    const result = await runAction({
      workspace: treesDir,
      sha,
      // The trees live inside this repository's checkout: stop git there, as for a tree from an artifact.
      env: { ...tb.env, GIT_CEILING_DIRECTORIES: treesDir },
      inputs: {
        'application-name': 'e2e-app',
        'deployment-group': 'e2e',
        's3-bucket': BUCKET,
        's3-key-prefix': 'ours/',
        'source-dir': TREE.name,
        wait: 'false'
      },
      wrapper: ['/usr/bin/time', '-f', 'maxrss-kb=%M'],
      node: runtime.node,
      timeoutMs: 30 * 60_000
    })
    const exitSeconds = (Date.now() - started) / 1000
    const id = result.outputs['deployment-id']
    const create = tb.codedeploy.requests.find(r => r.operation === 'CreateDeployment' && r.status === 200 && r.at >= started)
    if (result.code !== 0 || !id || !create)
      throw new Error(
        `the action created no deployment (exit ${result.code}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`
      )
    if (result.outputs['uploaded'] !== 'true') throw new Error(`the action did not upload (uploaded: '${result.outputs['uploaded']}')`)
    // Untimed: the simulated agent downloads and unpacks the bundle; it must be done before the next run.
    const dep = await tb.codedeploy.waitForEnd(id, 10 * 60_000)
    if (dep.status !== 'Succeeded') throw new Error(`deployment ${id} ended ${dep.status}: ${JSON.stringify(dep.errorInformation)}`)
    fs.rmSync(path.dirname(tb.codedeploy.installed(id)), { recursive: true, force: true })
    const key = (result.outputs['bundle-uri'] ?? '').replace(`s3://${BUCKET}/`, '')
    const stored = await takeObject(tb, key)
    if (stored.sha256 !== result.outputs['bundle-sha256'] || String(stored.size) !== result.outputs['bundle-size'])
      throw new Error(
        `s3://${BUCKET}/${key} is ${stored.size} bytes, sha256 ${stored.sha256}; the action reported ${result.outputs['bundle-size']} bytes, ${result.outputs['bundle-sha256']}`
      )
    // The action's own split, from its log, where it still says it (upload while packaging may not).
    const packaged = /packaged in ([\d.]+) s/.exec(result.stdout)?.[1]
    const uploaded = /Uploaded to \S+ .*? in ([\d.]+) s/.exec(result.stdout)?.[1]
    const split = packaged && uploaded ? `packaged ${packaged} s + uploaded ${uploaded} s` : ''
    ours.push({ seconds: (create.at - started) / 1000, exitSeconds, rss: peakRss(result.stderr), size: stored.size, split })
  }

  const runPeer = async (/** @type {number} */ i) => {
    const file = path.join(out, `peer-${i}.zip`)
    const key = `peer/${crypto.randomBytes(20).toString('hex')}.zip`
    // The exclusions of bench/package.bench.mjs (the action's defaults); -y keeps symlinks as links, as the action does.
    const zip = await measure('zip', ['-r', '-q', '-y', file, '.', '-x', 'node_modules/*', '*/node_modules/*', '.git/*'], { cwd: root })
    const cp = await measure(aws, ['s3', 'cp', file, `s3://${BUCKET}/${key}`, '--endpoint-url', tb.s3.endpoint, '--no-progress'], {
      cwd: out,
      env: awsEnv
    })
    const local = await sha256Of(fs.createReadStream(file))
    const stored = await takeObject(tb, key)
    if (stored.sha256 !== local.sha256 || stored.size !== local.size)
      throw new Error(
        `s3://${BUCKET}/${key} (${stored.size} bytes, ${stored.sha256}) is not the zip aws s3 cp uploaded (${local.size} bytes, ${local.sha256})`
      )
    fs.rmSync(file)
    theirs.push({
      seconds: zip.seconds + cp.seconds,
      split: `zip ${zip.seconds.toFixed(1)} s + cp ${cp.seconds.toFixed(1)} s`,
      rss: Math.max(zip.rss, cp.rss),
      size: local.size
    })
  }

  for (let i = 0; i < runs; i++) {
    // Alternate which side goes first, so neither always follows the other's leftovers.
    if (i % 2 === 0) {
      await runOurs()
      await runPeer(i)
    } else {
      await runPeer(i)
      await runOurs()
    }
  }
} finally {
  await tb.stop()
  fs.rmSync(out, { recursive: true, force: true })
}

const rss = Math.max(...ours.map(r => r.rss))
const v = verdict({ ours: ours.map(r => r.seconds), peer: theirs.map(r => r.seconds), rss, target: TARGET })
/** @param {string} tool @param {number} seconds @param {number} peak @param {number} size @param {string} r */
const row = (tool, seconds, peak, size, r) =>
  `${tool.padEnd(40)} ${seconds.toFixed(2).padStart(8)} ${fmtMb(peak).padStart(12)} ${fmtMb(size).padStart(10)} ${r.padStart(8)}`
say(`${'tool'.padEnd(40)} ${'wall s'.padStart(8)} ${'peak RSS MB'.padStart(12)} ${'size MB'.padStart(10)} ${'ratio'.padStart(8)}`)
say(row('codedeploy-action (to CreateDeployment)', v.ours, rss, median(ours.map(r => r.size)), v.ratio.toFixed(2)))
say(row('zip -r -q -y + aws s3 cp', v.peer, Math.max(...theirs.map(r => r.rss)), median(theirs.map(r => r.size)), '1.00'))
say(`(median of ${runs} runs each, alternating; both objects read back from S3 and matched by sha256)`)
/** @param {number[]} list */
const secs = list => list.map(x => x.toFixed(2)).join(', ')
say(`ours to CreateDeployment received: ${secs(ours.map(r => r.seconds))} s; to the action's exit: ${secs(ours.map(r => r.exitSeconds))} s`)
if (ours.every(r => r.split)) say(`ours from its log: ${ours.map(r => r.split).join('; ')}`)
say(`peer: ${secs(theirs.map(r => r.seconds))} s (${theirs.map(r => r.split).join('; ')})`)
// Each run's ratio against the peer's run next to it: how much the figure moves with the machine's load.
say(`ratio of each pair: ${ours.map((r, i) => (r.seconds / (theirs[i]?.seconds ?? NaN)).toFixed(2)).join(', ')}`)
say(v.ok ? `target met: ratio <= ${TARGET}, peak RSS < 256 MB` : `target MISSED: ${v.misses.join('; ')}`)
if (!v.ok) process.exitCode = 1
