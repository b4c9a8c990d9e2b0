/**
 * Watching and reporting, through the built action (dist/index.js) run the way the runner runs it,
 * against the CodeDeploy simulator: every way a deployment can end, and what the user sees of it
 * (the streamed log, annotations, outputs, the job summary, the step's failure message) and what
 * CodeDeploy received.
 */
import { CodeDeployClient, StopDeploymentCommand } from '@aws-sdk/client-codedeploy'
import type { ChildProcess } from 'node:child_process'
import { EC2_EVENTS } from '../helpers/codedeploy.js'
import { errorsOf, runWith, SAMPLE_APP_INPUTS, useTestbed, type RunResult } from './harness.js'

interface Request {
  operation: string
  input: Record<string, unknown>
  status: number
  at: number
  fault?: string
}

const SHA = '2222222222222222222222222222222222222222'
const instance = (n: number): string => `i-${String(n).padStart(16, '0')}`

let clients: CodeDeployClient[] = []

// Before useTestbed(): its afterEach stops the testbed after these clients are gone.
afterEach(() => {
  for (const c of clients) c.destroy()
  clients = []
})

// Each test starts the testbed at the pace it needs; the bundle's key is the action's default (no prefix).
const bed = useTestbed({ autoStart: false, sha: SHA, timeoutMs: 60_000, inputs: { ...SAMPLE_APP_INPUTS, 's3-key-prefix': undefined } })

async function setup(
  stepMs: number,
  group: { instances?: number; deploymentConfigName?: string; autoRollback?: boolean } = {}
): Promise<void> {
  await bed.start({ stepMs, groups: [{ applicationName: 'sample-app', name: 'production', instances: 3, ...group }] })
}

function run(extra: Record<string, string> = {}, onLine?: (line: string, child: ChildProcess) => void): Promise<RunResult> {
  return runWith(bed, { inputs: extra, ...(onLine ? { onLine } : {}) })
}

/** The SDK pointed at the simulator, as another user of the account would be. */
function codedeploy(): CodeDeployClient {
  const client = new CodeDeployClient({
    endpoint: bed.tb.codedeploy.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: bed.tb.env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: bed.tb.env['AWS_SECRET_ACCESS_KEY'] ?? '' }
  })
  clients.push(client)
  return client
}

const requests = (): Request[] => bed.tb.codedeploy.requests as Request[]
const lines = (r: RunResult): string[] => r.stdout.split('\n')

/** Starts a run and waits until it has created its deployment, which keeps the group busy. */
async function firstRunCreated(): Promise<{ first: Promise<RunResult>; firstId: string }> {
  let firstId = ''
  const first = run({}, line => {
    firstId ||= /^Created deployment (d-\w+)/.exec(line)?.[1] ?? ''
  })
  while (!firstId) await new Promise(resolve => setTimeout(resolve, 50))
  return { first, firstId }
}

describe('streaming a deployment', () => {
  test('success: every event once with its duration, the status as it changes, the end seen within 5 s', async () => {
    await setup(150)
    const result = await run()
    expect(result.code).toBe(0)
    const id = result.outputs['deployment-id']!
    const sim = bed.tb.codedeploy.deployment(id)
    for (let n = 1; n <= 3; n++) {
      for (const event of EC2_EVENTS) {
        const printed = lines(result).filter(l => new RegExp(`^ {2}${instance(n)} {2}${event} +Succeeded \\d+\\.\\ds$`).test(l))
        expect({ n, event, printed: printed.length }).toEqual({ n, event, printed: 1 })
      }
      expect(lines(result).filter(l => l === `  ${instance(n)}  Succeeded`)).toHaveLength(1)
    }
    // Each status line says something new; the last one is the end.
    const status = lines(result).filter(l => l.startsWith(`Deployment ${id} `))
    expect(new Set(status).size).toBe(status.length)
    expect(status[0]).toMatch(/ (Created|InProgress) /)
    expect(status.at(-1)).toBe(`Deployment ${id} Succeeded (instances: Succeeded 3)`)

    // The end was noticed within 5 s of the simulator's completeTime, polling no more than every 2 s.
    const gets = requests().filter(r => r.operation === 'GetDeployment' && r.input['deploymentId'] === id)
    const seen = gets.find(r => r.at >= sim.completeTime!)!
    expect(seen.at - sim.completeTime!).toBeLessThanOrEqual(5000)
    for (let i = 1; i < gets.length; i++) expect(gets[i]!.at - gets[i - 1]!.at).toBeGreaterThanOrEqual(1500)

    expect(result.outputs['status']).toBe('Succeeded')
    expect(result.outputs['summary']).toBe(
      `CodeDeploy sample-app @ 2222222 succeeded: production: ${id} Succeeded, 3/3 instances succeeded in ${result.outputs['duration-seconds']}s`
    )
    expect(JSON.parse(result.outputs['deployments']!)[0]).toMatchObject({
      'deployment-config': 'CodeDeployDefault.OneAtATime',
      'rollback-deployment-id': null
    })
    expect(result.summary).toContain("| Deployment config | `CodeDeployDefault.OneAtATime` (the group's own) |")
    expect(result.summary).toMatch(new RegExp(`\\| \`${instance(2)}\` \\| ✅ Succeeded \\| ✅ 0\\.0s \\| ✅ 0\\.\\ds \\|`))
    expect(result.summary).toMatch(/\| Duration \| \d+s \|/)
  })

  test('hook failure: instance, hook, code, script, message and log tail; a diagnosis, not a dump', async () => {
    await setup(50)
    bed.tb.codedeploy.failHook({
      event: 'AfterInstall',
      instanceId: instance(1),
      errorCode: 'ScriptFailed',
      logTail: '[stdout]npm ci\n[stderr]npm ERR! code ENOSPC\n[stderr]npm ERR! no space left on device'
    })
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs).toMatchObject({
      status: 'Failed',
      'failed-instance': instance(1),
      'failed-event': 'AfterInstall',
      'error-code': 'ScriptFailed',
      'error-message': 'Script at specified location: scripts/after_install.sh run as user root failed with exit code 1'
    })
    expect(result.commands).toContain(
      `::error title=${instance(1)} failed AfterInstall::ScriptFailed in scripts/after_install.sh: Script at specified location: scripts/after_install.sh run as user root failed with exit code 1`
    )
    const log = lines(result)
    const at = log.indexOf(`    log tail of scripts/after_install.sh on ${instance(1)}:`)
    expect(log.slice(at + 1, at + 4)).toEqual([
      '    | [stdout]npm ci',
      '    | [stderr]npm ERR! code ENOSPC',
      '    | [stderr]npm ERR! no space left on device'
    ])
    // OneAtATime stops at the first failed instance: the others are skipped, and said so.
    expect(log).toContain(`  ${instance(2)}  Skipped`)
    const [failure] = errorsOf(result)
    expect(errorsOf(result)).toHaveLength(1)
    expect(failure).toMatch(
      /^::error::Deployment d-\w+ \(sample-app\/production\) Failed\. AfterInstall failed on i-0+1 \(ScriptFailed in scripts\/after_install\.sh\): Script at specified location.* CodeDeploy says: HEALTH_CONSTRAINTS: /
    )
    expect(failure).not.toMatch(/[{}]/)
    expect(result.summary).toMatch(
      /```text\n\[stdout\]npm ci\n\[stderr\]npm ERR! code ENOSPC\n\[stderr\]npm ERR! no space left on device\n```/
    )
  })
})

describe('how deployments end', () => {
  test('rollback: reported, followed to its end, and told in the outputs, the summary and the failure', async () => {
    await setup(50, { autoRollback: true })
    expect((await run()).code).toBe(0) // a last successful revision to roll back to
    bed.tb.codedeploy.failHook({ event: 'ApplicationStart', instanceId: instance(2) })
    const result = await run()
    expect(result.code).toBe(1)
    const id = result.outputs['deployment-id']!
    const rollbackId = bed.tb.codedeploy.deployment(id).rollbackInfo?.rollbackDeploymentId
    expect(rollbackId).toMatch(/^d-/)
    expect(result.outputs['rollback-deployment-id']).toBe(rollbackId)
    const rollback = bed.tb.codedeploy.deployment(rollbackId!)
    expect(rollback.status).toBe('Succeeded')
    // Followed to its end: the rollback was read after it completed, and its progress was streamed.
    expect(
      requests().some(r => r.operation === 'GetDeployment' && r.input['deploymentId'] === rollbackId && r.at >= rollback.completeTime!)
    ).toBe(true)
    expect(result.stdout).toContain(
      `CodeDeploy started rollback deployment ${rollbackId} to restore the last successful revision; following it to its end.`
    )
    expect(lines(result).filter(l => l.startsWith(`[rollback]   ${instance(3)}  ValidateService  Succeeded`))).toHaveLength(1)
    expect(result.stdout).toContain(`[rollback] Deployment ${rollbackId} Succeeded (instances: Succeeded 3)`)

    expect(errorsOf(result)[0]).toContain(
      `Rolled back: rollback deployment ${rollbackId} Succeeded (3/3 instances succeeded), so the last successful revision is back.`
    )
    expect(result.outputs['summary']).toContain(`, rollback ${rollbackId} Succeeded`)
    expect(JSON.parse(result.outputs['deployments']!)[0]).toMatchObject({
      'rollback-deployment-id': rollbackId,
      'rollback-status': 'Succeeded'
    })
    expect(result.summary).toContain(
      `#### ↩️ Rollback deployment [${rollbackId}](https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/${rollbackId}?region=us-east-1): ✅ Succeeded`
    )
  })

  test('stopped by someone else mid-way: Stopped fails the step, the interrupted hook is reported', async () => {
    await setup(300)
    let stopped = false
    const result = await run({}, line => {
      const m = /^Deployment (d-\w+) InProgress/.exec(line)
      if (m && !stopped) {
        stopped = true
        setTimeout(() => void codedeploy().send(new StopDeploymentCommand({ deploymentId: m[1] })), 700)
      }
    })
    expect(stopped).toBe(true)
    expect(result.code).toBe(1)
    expect(result.outputs['status']).toBe('Stopped')
    expect(errorsOf(result)[0]).toMatch(
      /^::error::Deployment d-\w+ \(sample-app\/production\) Stopped\. \w+ failed on i-0+[12] \(UnknownError\): The deployment was stopped by a user before this lifecycle event finished\. CodeDeploy says: MANUAL_STOP: The deployment was stopped by a user\. https:/
    )
    expect(result.stdout).toMatch(
      /::error title=i-0+[12] failed \w+::UnknownError: The deployment was stopped by a user before this lifecycle event finished\./
    )
    expect(lines(result)).toContain(`  ${instance(3)}  Skipped`)
    expect(result.summary).toContain('**⏹️ Stopped**')
    // Nobody asked the action to stop it.
    expect(requests().filter(r => r.operation === 'StopDeployment')).toHaveLength(1)
  })

  test('time-out: fails saying where the deployment stands and that it still runs; it is not stopped', async () => {
    await setup(1000)
    const started = Date.now()
    const result = await run({ 'timeout-minutes': '0.05' })
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(result.code).toBe(1)
    const id = result.outputs['deployment-id']!
    const url = `https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/${id}?region=us-east-1`
    const [failure] = errorsOf(result)
    expect(failure).toMatch(
      new RegExp(
        `^::error::Deployment ${id} \\(sample-app/production\\) did not end within timeout-minutes \\(0\\.05\\); last seen (InProgress|Created) \\(0/3 instances succeeded, (1 in progress, 2 pending|3 pending)\\)\\. It is still running: `
      )
    )
    expect(failure).toContain(url)
    expect(bed.tb.codedeploy.deployment(id).status).toMatch(/^(Created|InProgress)$/)
    expect(requests().map(r => r.operation)).not.toContain('StopDeployment')
    expect(result.outputs['status']).toMatch(/^(Created|InProgress)$/)
    expect(result.outputs['error-message']).toContain('did not end within timeout-minutes (0.05)')
    expect(result.summary).toContain('(still running: the watch timed out)**')
  })

  test("cancel: a real SIGINT stops the deployment within the runner's 7.5 s, and the log and summary say so", async () => {
    await setup(400)
    let signalledAt = 0
    const result = await run({}, (line, child) => {
      if (!signalledAt && /^Deployment d-\w+ InProgress/.test(line)) {
        signalledAt = Date.now()
        child.kill('SIGINT')
      }
    })
    expect(signalledAt).toBeGreaterThan(0)
    const id = result.outputs['deployment-id']!
    const stop = requests().find(r => r.operation === 'StopDeployment')
    expect(stop?.input['deploymentId']).toBe(id)
    expect(stop!.at - signalledAt).toBeLessThan(7500)
    expect(bed.tb.codedeploy.deployment(id).status).toBe('Stopped')
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('Received SIGINT: the workflow is being cancelled.')
    expect(result.stdout).toContain(`::warning::Stopping deployment ${id} because the workflow was cancelled: StopDeployment accepted`)
    expect(errorsOf(result)[0]).toContain(`Deployment ${id} (sample-app/production) was stopped because the workflow was cancelled`)
    expect(result.summary).toContain('(stopped: workflow cancelled)**')
    expect(result.outputs['summary']).toContain(`${id} Stopped (cancelled)`)
  })

  test('cancel with stop-on-cancel: false leaves the deployment running and says so', async () => {
    await setup(400)
    let signalled = false
    const result = await run({ 'stop-on-cancel': 'false' }, (line, child) => {
      if (!signalled && /^Deployment d-\w+ InProgress/.test(line)) {
        signalled = true
        child.kill('SIGINT')
      }
    })
    const id = result.outputs['deployment-id']!
    expect(result.code).toBe(1)
    expect(requests().map(r => r.operation)).not.toContain('StopDeployment')
    expect(bed.tb.codedeploy.deployment(id).status).toBe('InProgress')
    expect(result.stdout).toContain(`::warning::Deployment ${id} keeps running (stop-on-cancel: false)`)
  })
})

describe('a busy service', () => {
  test('throttling and 5xx storms are waited out: the step succeeds and reports every event once', async () => {
    await setup(100)
    // More failures in a row than the SDK retries on its own (5 attempts): the watch's own backoff takes over.
    bed.tb.codedeploy.injectFault({ operation: 'GetDeployment', kind: 'throttle', count: 3 })
    bed.tb.codedeploy.injectFault({ operation: 'GetDeployment', kind: '5xx', status: 503, count: 6 })
    bed.tb.codedeploy.injectFault({ operation: 'ListDeploymentTargets', kind: 'throttle', count: 2 })
    bed.tb.codedeploy.injectFault({ operation: 'BatchGetDeploymentTargets', kind: '5xx', count: 6 })
    const result = await run()
    expect(result.code).toBe(0)
    expect(result.outputs['status']).toBe('Succeeded')
    expect(requests().filter(r => r.fault)).toHaveLength(17)
    expect(result.stdout).toMatch(
      /::warning::Cannot reach CodeDeploy \((ThrottlingException: Rate exceeded|ServiceUnavailableException: .*)\); still trying until the time-out\./
    )
    expect(result.stdout).toMatch(/::warning::Back in contact with CodeDeploy after \d+ failed attempt\(s\)\./)
    for (let n = 1; n <= 3; n++) {
      for (const event of EC2_EVENTS)
        expect(lines(result).filter(l => new RegExp(`^ {2}${instance(n)} {2}${event} +Succeeded`).test(l))).toHaveLength(1)
    }
    expect(result.summary.match(/^\| `i-\w+` \| ✅ Succeeded \|/gm)).toHaveLength(3)
  })

  test('group busy: waits for the running deployment (naming it), then deploys', async () => {
    await setup(150)
    // The second run starts while the first deployment runs.
    const { first, firstId } = await firstRunCreated()
    const second = await run()
    expect((await first).code).toBe(0)
    expect(second.code).toBe(0)
    expect(second.stdout).toContain(
      `Deployment group 'production' is busy with deployment ${firstId}; waiting for it to end (within timeout-minutes), then deploying.`
    )
    expect(second.stdout).toContain(`Deployment ${firstId} ended (Succeeded); creating ours.`)
    const ours = bed.tb.codedeploy.deployment(second.outputs['deployment-id']!)
    expect(ours.createTime).toBeGreaterThanOrEqual(bed.tb.codedeploy.deployment(firstId).completeTime!)
    expect(requests().filter(r => r.operation === 'CreateDeployment' && r.status === 400)).not.toHaveLength(0)
  })

  test('group busy past the time-out: fails naming the deployment that holds the group', async () => {
    await setup(1000)
    const { first, firstId } = await firstRunCreated()
    const second = await run({ 'timeout-minutes': '0.05' })
    expect(second.code).toBe(1)
    expect(second.outputs['deployment-id']).toBe('')
    expect(errorsOf(second)).toEqual([
      `::error::Input 'timeout-minutes': deployment group 'production' stayed busy with deployment ${firstId} until the time-out. Fix: wait for ${firstId} to finish (or stop it), or raise timeout-minutes.`
    ])
    expect(second.outputs['error-code']).toBe('DeploymentLimitExceededException')
    await codedeploy().send(new StopDeploymentCommand({ deploymentId: firstId }))
    await first
  })
})

describe('1,000 instances', () => {
  test('every instance reported once, failures with their tails, each instance read once and 25 at a time', async () => {
    await setup(60, { instances: 1000, deploymentConfigName: 'CodeDeployDefault.HalfAtATime' })
    bed.tb.codedeploy.failHook({ event: 'AfterInstall', instanceId: instance(42), logTail: '[stderr]disk full' })
    bed.tb.codedeploy.failHook({ event: 'ValidateService', instanceId: instance(777), logTail: '[stderr]health check failed' })
    const result = await run()
    expect(result.code).toBe(0)
    const outcome = { status: 'Succeeded', 'instances-total': '1000', 'instances-succeeded': '998', 'instances-failed': '2' }
    expect(result.outputs).toMatchObject(outcome)
    const id = result.outputs['deployment-id']!

    // One line per instance (big fleets print each instance once, when it finishes).
    const instanceLines = lines(result).filter(l => /^ {2}i-\d{16} {2}\S/.test(l))
    expect(instanceLines).toHaveLength(1000)
    expect(new Set(instanceLines.map(l => l.slice(2, 20))).size).toBe(1000)
    expect(instanceLines.find(l => l.includes(instance(42)))).toMatch(
      /Failed +ApplicationStop .*AfterInstall Failed \d+\.\ds, ApplicationStart Skipped, ValidateService Skipped$/
    )
    for (const [n, event, tail] of [
      [42, 'AfterInstall', 'disk full'],
      [777, 'ValidateService', 'health check failed']
    ] as const) {
      expect(result.stdout).toContain(`::error title=${instance(n)} failed ${event}::`)
      expect(result.stdout).toContain(`    | [stderr]${tail}`)
    }
    expect(result.stdout).toContain(
      `::warning::Deployment ${id} succeeded, but 2 instance(s) failed, which the deployment config's minimum healthy hosts allows: ${instance(42)} (AfterInstall), ${instance(777)} (ValidateService).`
    )

    const batches = requests()
      .filter(r => r.operation === 'BatchGetDeploymentTargets')
      .map(r => r.input['targetIds'] as string[])
    expect(Math.max(...batches.map(b => b.length))).toBe(25)
    const read = batches.flat()
    expect(new Set(read).size).toBe(read.length)
    expect(read).toHaveLength(1000)
    // Every instance in the folded matrix; in sight, only the two that failed.
    expect(
      result.summary.match(/^\| `i-\d+` \| (✅ Succeeded|❌ Failed) \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \|$/gm)
    ).toHaveLength(1000)
    expect(result.summary.match(/^\| `i-\d+` \| ❌ Failed \| ❌ \w+ \| [\d.]+s \|$/gm)).toHaveLength(2)
    expect(result.summary).toMatch(/\| AfterInstall \| 999 \| 1 \| 0 \| /)
  })
})
