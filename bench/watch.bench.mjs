// @ts-check
// Watch benchmark: the built action (dist/index.js, run exactly as the runner runs it, with its
// default settings) follows a 1,000-instance HalfAtATime deployment on the CodeDeploy simulator,
// in which hooks fail on a few instances. Prints the API calls a minute the action made, the delay
// between the simulator's end of the deployment and the action noticing it, and whether every
// failed lifecycle event was reported.
//
//   node bench/watch.bench.mjs                      # 1,000 instances, one lifecycle step every 8 s (about 2.5 min)
//   BENCH_STEP_MS=1000 node bench/watch.bench.mjs   # the same in about 20 s
//   BENCH_INSTANCES=300 BENCH_CONFIG=CodeDeployDefault.AllAtOnce node bench/watch.bench.mjs
//
// Targets: every failed event reported; at most 60 calls in any 60 s from CreateDeployment to the
// action's exit (the final table included), not just on average; the end noticed within 5 s.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestbed } from '../testbed/index.mjs'
import { runAction } from '../testbed/harness/run-action.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const INSTANCES = Number(process.env['BENCH_INSTANCES'] ?? 1000)
const STEP_MS = Number(process.env['BENCH_STEP_MS'] ?? 8000)
const CONFIG = process.env['BENCH_CONFIG'] ?? 'CodeDeployDefault.HalfAtATime'
const TARGETS = { callsPerMinute: 60, noticedMs: 5000 }

/** @param {string} line */
const say = line => process.stdout.write(`${line}\n`)
/** @param {number} n */
const instanceId = n => `i-${String(n).padStart(16, '0')}`

// Failures spread over the deployment: the first wave, the second, and its last instance.
const FAILURES = [
  { event: 'AfterInstall', instanceId: instanceId(7), logTail: '[stderr]npm ERR! code ENOSPC\n[stderr]npm ERR! no space left on device' },
  {
    event: 'ApplicationStart',
    instanceId: instanceId(Math.min(INSTANCES, Math.ceil(INSTANCES * 0.77))),
    logTail: '[stderr]Error: listen EADDRINUSE: address already in use :::8080'
  },
  {
    event: 'ValidateService',
    instanceId: instanceId(Math.min(INSTANCES, Math.ceil(INSTANCES * 0.9))),
    logTail: '[stderr]curl: (7) Failed to connect to localhost port 8080'
  }
]

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'cda-watch-bench-'))
fs.cpSync(path.join(ROOT, 'examples', 'sample-app'), path.join(workspace, 'app'), { recursive: true })
if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/index.js is missing: run npm run build first')

const tb = await startTestbed({ stepMs: STEP_MS })
try {
  await tb.s3.createBucket('bench-bundles')
  tb.codedeploy.addApplication({ name: 'fleet-app' })
  tb.codedeploy.addDeploymentGroup({ applicationName: 'fleet-app', name: 'fleet', instances: INSTANCES, deploymentConfigName: CONFIG })
  for (const rule of FAILURES) tb.codedeploy.failHook(rule)

  say(
    `watch: ${INSTANCES} instances, ${CONFIG}, simulator step ${STEP_MS} ms, hooks failing on ${FAILURES.length} instances; the action runs with its defaults`
  )
  const started = Date.now()
  const result = await runAction({
    workspace,
    env: tb.env,
    inputs: { 'application-name': 'fleet-app', 'deployment-group': 'fleet', 's3-bucket': 'bench-bundles', 'source-dir': 'app' },
    timeoutMs: 20 * 60_000
  })
  const exitedAt = Date.now()

  const requests = tb.codedeploy.requests
  const create = requests.find(r => r.operation === 'CreateDeployment' && r.status === 200)
  const deploymentId = result.outputs['deployment-id'] ?? ''
  if (!create || !deploymentId)
    throw new Error(`no deployment was created (exit ${result.code}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`)
  const dep = tb.codedeploy.deployment(deploymentId)
  const completeTime = dep.completeTime ?? NaN

  // Every call the action made from CreateDeployment to its exit.
  const watched = requests.filter(r => r.at >= create.at)
  const minutes = (exitedAt - create.at) / 60_000
  const perMinute = watched.length / minutes
  const byOperation = new Map()
  for (const r of watched) byOperation.set(r.operation, (byOperation.get(r.operation) ?? 0) + 1)
  let busiest = 0
  for (let i = 0, j = 0; j < watched.length; j++) {
    while ((watched[j]?.at ?? 0) - (watched[i]?.at ?? 0) >= 60_000) i++
    busiest = Math.max(busiest, j - i + 1)
  }
  const largestBatch = Math.max(
    0,
    ...watched.filter(r => r.operation === 'BatchGetDeploymentTargets').map(r => r.input?.targetIds?.length ?? 0)
  )

  // The first GetDeployment answered after the simulator's end is the one that saw it.
  const seen = watched.find(
    r => r.operation === 'GetDeployment' && r.input?.deploymentId === deploymentId && r.at >= completeTime && r.status === 200
  )
  const noticedMs = seen ? seen.at - completeTime : NaN
  const exitMs = exitedAt - completeTime

  // Every lifecycle event the simulator failed must be named in the log (annotation or line).
  const failedEvents = dep.instances.flatMap(i =>
    i.events
      .filter(e => e.status === 'Failed')
      .map(e => ({ instanceId: i.instanceId, event: e.lifecycleEventName, logTail: e.diagnostics?.logTail ?? '' }))
  )
  const missing = failedEvents.filter(f => {
    const named =
      result.stdout.includes(`title=${f.instanceId} failed ${f.event}::`) || result.stdout.includes(`${f.instanceId} failed ${f.event}:`)
    const tail = f.logTail
      .split('\n')
      .filter(Boolean)
      .every(line => result.stdout.includes(`| ${line}`))
    return !named || !tail
  })

  const ok = {
    reported: failedEvents.length > 0 && missing.length === 0,
    calls: busiest <= TARGETS.callsPerMinute,
    noticed: noticedMs <= TARGETS.noticedMs
  }
  process.exitCode = Object.values(ok).every(Boolean) ? 0 : 1
  const mark = (/** @type {boolean} */ pass) => (pass ? 'ok' : 'MISSED')

  say(
    `deployment ${deploymentId}: ${dep.status} (simulator: ${((completeTime - dep.createTime) / 1000).toFixed(1)} s); action: exit ${result.code}, status ${result.outputs['status']}, ${result.outputs['instances-succeeded']} succeeded / ${result.outputs['instances-failed']} failed / ${result.outputs['instances-total']} total, run ${((exitedAt - started) / 1000).toFixed(1)} s`
  )
  say(
    `  API calls from CreateDeployment to exit: ${watched.length} in ${minutes.toFixed(2)} min = ${perMinute.toFixed(1)} a minute; busiest 60 s: ${busiest} (target <= ${TARGETS.callsPerMinute}) ${mark(ok.calls)}`
  )
  say(`    ${[...byOperation].map(([op, n]) => `${op} ${n}`).join(', ')}; largest BatchGetDeploymentTargets: ${largestBatch} ids`)
  say(
    `  end noticed ${(noticedMs / 1000).toFixed(2)} s after the simulator's completeTime (target <= ${TARGETS.noticedMs / 1000} s) ${mark(ok.noticed)}; process exit after ${(exitMs / 1000).toFixed(2)} s`
  )
  say(
    `  failed events reported: ${failedEvents.length - missing.length}/${failedEvents.length} with their log tails ${mark(ok.reported)}${missing.length ? `; missing: ${missing.map(f => `${f.instanceId} ${f.event}`).join(', ')}` : ''}`
  )
  say(`  summary line: ${result.outputs['summary']}`)
} finally {
  await tb.stop()
  fs.rmSync(workspace, { recursive: true, force: true })
}
