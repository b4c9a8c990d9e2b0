/**
 * What real networks do: a call the service takes and never answers (a half-open connection).
 * The SDK waits forever by default; the action must end by `timeout-minutes` whatever stalls,
 * say where things stand, and never report a success it did not see. Each run below has
 * `timeout-minutes: 0.5` (1 with STALL_REPORT=1, the figure the README gives); how long each stall
 * held the step is printed with STALL_REPORT.
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { CodeDeployClient, GetApplicationCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy'
import { BUCKET, errorsOf, runWith, SAMPLE_APP_INPUTS, useTestbed, type RunResult } from './harness.js'

const SHA = '4444444444444444444444444444444444444444'
const KEY = `app/${SHA}.zip`
const STALL_REPORT = process.env['STALL_REPORT']
/** The step's own limit in these runs: the action must end soon after it. Half a minute keeps CI short. */
const TIMEOUT_MINUTES = STALL_REPORT ? 1 : 0.5
/** What the step may take past timeout-minutes: a last look at CodeDeploy (aws/clients.ts LAST_LOOK_MS) and the report. */
const GRACE_MS = 15_000

const bed = useTestbed({ autoStart: false, sha: SHA, timeoutMs: 150_000 })

/** Runs the action with timeout-minutes (TIMEOUT_MINUTES unless given) and returns how long it took. */
async function runTimed(minutes = TIMEOUT_MINUTES): Promise<{ result: RunResult; ms: number }> {
  const started = Date.now()
  const result = await runWith(bed, { inputs: { ...SAMPLE_APP_INPUTS, 'timeout-minutes': String(minutes) } })
  const ms = Date.now() - started
  if (STALL_REPORT) process.stderr.write(`${expect.getState().currentTestName}: the step took ${(ms / 1000).toFixed(1)} s\n`)
  return { result, ms }
}

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

describe('the stall fault itself (testbed)', () => {
  beforeEach(async () => void (await bed.start()))

  test('CodeDeploy: a stalled call is taken, never answered, and closed only by the client', async () => {
    const cd = new CodeDeployClient({ endpoint: bed.tb.codedeploy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 })
    bed.tb.codedeploy.injectFault({ operation: 'ListDeployments', kind: 'stall' })
    const call = cd.send(new ListDeploymentsCommand({ applicationName: 'sample-app' }), { abortSignal: AbortSignal.timeout(1500) })
    await expect(call).rejects.toMatchObject({ name: 'AbortError' })
    // Only the stalled operation: the next call is answered.
    await expect(cd.send(new ListDeploymentsCommand({ applicationName: 'sample-app' }))).resolves.toMatchObject({ deployments: [] })
    const [stalled] = bed.cdCalls('ListDeployments')
    expect(stalled).toMatchObject({ fault: 'stall', status: 0 })
    expect((stalled?.closedAt ?? 0) - (stalled?.at ?? 0)).toBeGreaterThanOrEqual(1400)
    cd.destroy()
  })

  test('CodeDeploy: handled: true handles the call (it takes effect), then the answer never comes', async () => {
    bed.tb.codedeploy.injectFault({ operation: 'GetApplication', kind: 'stall', handled: true })
    const cd = new CodeDeployClient({ endpoint: bed.tb.codedeploy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 })
    await expect(
      cd.send(new GetApplicationCommand({ applicationName: 'sample-app' }), { abortSignal: AbortSignal.timeout(500) })
    ).rejects.toMatchObject({ name: 'AbortError' })
    cd.destroy()
    expect(bed.cdCalls('GetApplication')).toEqual([expect.objectContaining({ fault: 'stall', status: 200 })])
  })

  test('S3: a stalled PutObject is read, never answered, and stores nothing', async () => {
    const s3 = new S3Client({
      endpoint: bed.tb.s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED'
    })
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: 'stall' })
    const put = s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: randomBytes(1 << 20) }), {
      abortSignal: AbortSignal.timeout(1000)
    })
    await expect(put).rejects.toMatchObject({ name: 'AbortError' })
    await bed.tb.s3.idle()
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(bed.s3Calls('PutObject')).toEqual([expect.objectContaining({ fault: 'stall', status: 0 })])
    s3.destroy()
  })
})

describe(`a stalled call through the built action, timeout-minutes: ${TIMEOUT_MINUTES}`, () => {
  test('GetDeployment never answered: the step ends by the time-out and does not claim the success it did not see', async () => {
    await bed.start({ stepMs: 20, instances: 1 })
    bed.tb.codedeploy.injectFault({ operation: 'GetDeployment', kind: 'stall', count: 1000 })
    const { result, ms } = await runTimed()
    expect(ms).toBeLessThan(TIMEOUT_MINUTES * 60_000 + GRACE_MS)
    expect(result.code).toBe(1)
    // The deployment ran to its end on the service, but the action never heard so.
    expect(bed.tb.codedeploy.deployments().map((d: { status: string }) => d.status)).toEqual(['Succeeded'])
    expect(result.outputs['deployment-id']).toMatch(/^d-/)
    expect(result.outputs['status']).not.toBe('Succeeded')
    expect(errorsOf(result).join('\n')).toMatch(/time-out|timed out/i)
  }, 150_000)

  test('GetApplication never answered (the first check): the step ends by the time-out, nothing uploaded, nothing deployed', async () => {
    await bed.start({ stepMs: 20, instances: 1 })
    bed.tb.codedeploy.injectFault({ operation: 'GetApplication', kind: 'stall', count: 1000 })
    const { result, ms } = await runTimed()
    expect(ms).toBeLessThan(TIMEOUT_MINUTES * 60_000 + GRACE_MS)
    expect(result.code).toBe(1)
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(bed.cdCalls('CreateDeployment')).toEqual([])
    expect(errorsOf(result).join('\n')).toMatch(
      /timeout-minutes ran out while checking CodeDeploy: nothing was uploaded and nothing was deployed/
    )
  }, 150_000)

  test('CreateDeployment taken but never answered: the retry finds the deployment it made and follows it; one deployment', async () => {
    // Slow enough (about 30 s) that the deployment is still running when the stalled attempt gives up (about 18 s).
    await bed.start({ stepMs: 1500, instances: 3 })
    bed.tb.codedeploy.injectFault({ operation: 'CreateDeployment', kind: 'stall', handled: true })
    // A whole minute: the stalled attempt, then the deployment it made, must fit.
    const { result, ms } = await runTimed(1)
    expect(ms).toBeLessThan(60_000 + GRACE_MS)
    const deployments = bed.tb.codedeploy.deployments()
    expect(deployments).toHaveLength(1)
    expect(result.outputs['deployment-id']).toBe(deployments[0]?.deploymentId)
    expect(result.stdout).toMatch(/this run's own|answer was lost/)
    expect([result.code, result.outputs['status']]).toEqual([0, 'Succeeded'])
  }, 150_000)

  test('CreateDeployment never answered at all: the step ends by the time-out and says no deployment is known', async () => {
    await bed.start({ stepMs: 20, instances: 1 })
    bed.tb.codedeploy.injectFault({ operation: 'CreateDeployment', kind: 'stall', count: 1000 })
    const { result, ms } = await runTimed()
    expect(ms).toBeLessThan(TIMEOUT_MINUTES * 60_000 + GRACE_MS)
    expect(result.code).toBe(1)
    expect(bed.tb.codedeploy.deployments()).toEqual([])
    expect(result.outputs['deployment-id'] ?? '').toBe('')
    expect(errorsOf(result).join('\n')).toMatch(/CreateDeployment .*got no answer before the time-out/)
  }, 150_000)

  test('PutObject never answered: the step ends by the time-out, nothing stored, nothing deployed', async () => {
    await bed.start({ stepMs: 20, instances: 1 })
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: 'stall', count: 1000 })
    const { result, ms } = await runTimed()
    expect(ms).toBeLessThan(TIMEOUT_MINUTES * 60_000 + GRACE_MS)
    expect(result.code).toBe(1)
    await bed.tb.s3.idle()
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(bed.cdCalls('CreateDeployment')).toEqual([])
    expect(errorsOf(result).join('\n')).toMatch(
      new RegExp(`timeout-minutes \\(${TIMEOUT_MINUTES}\\) ran out while uploading the bundle to s3://${BUCKET}/${KEY}`)
    )
  }, 150_000)

  test('PutObject stalled once: the SDK gives the attempt up, tries again, and the deployment goes on', async () => {
    await bed.start({ stepMs: 20, instances: 1 })
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: 'stall', count: 1 })
    // A whole minute: the 30 s idle limit of the stalled attempt, then the retry, must fit.
    const { result } = await runTimed(1)
    expect([result.code, result.outputs['status']]).toEqual([0, 'Succeeded'])
    expect(bed.s3Calls('PutObject').map(r => r.fault ?? r.status)).toEqual(['stall', 200])
  }, 150_000)
})

describe('other partitions, legacy names, and what the file system can hold', () => {
  beforeEach(async () => void (await bed.start({ stepMs: 20, instances: 1 })))

  test('the European Sovereign Cloud: its region is accepted and the link goes to its console', async () => {
    const result = await runWith(bed, { inputs: { ...SAMPLE_APP_INPUTS, 'aws-region': 'eusc-de-east-1' } })
    expect(errorsOf(result)).toEqual([])
    expect(result.outputs['deployment-url']).toBe(
      `https://eusc-de-east-1.console.amazonaws-eusc.eu/codesuite/codedeploy/deployments/${result.outputs['deployment-id']}?region=eusc-de-east-1`
    )
  }, 60_000)

  test('a file name that is not UTF-8: one error showing its bytes, nothing uploaded', async () => {
    fs.writeFileSync(Buffer.concat([Buffer.from(`${bed.ws.app}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1')
    const result = await runWith(bed)
    expect(result.code).toBe(1)
    expect(errorsOf(result)).toEqual([expect.stringContaining(`the file name 'caf\\xe9.txt' is not UTF-8`)])
    expect(bed.s3Calls('PutObject')).toEqual([])
  }, 60_000)

  test('a hook script that is a dangling symlink: refused before anything is uploaded', async () => {
    const script = path.join(bed.ws.app, 'scripts', 'start_server.sh')
    fs.rmSync(script)
    fs.symlinkSync('gone.sh', script)
    const result = await runWith(bed)
    expect(result.code).toBe(1)
    expect(errorsOf(result).join('\n')).toMatch(/scripts\/start_server\.sh' is a symlink that does not lead to a file in the bundle/)
    expect(bed.s3Calls('PutObject')).toEqual([])
  }, 60_000)
})

describe('a legacy us-east-1 bucket name', () => {
  // s3rver cannot create such a bucket (it applies today's rule), so the run reaches S3 and is told the bucket is not there.
  test('is accepted with a warning and used as given, not refused as bad input', async () => {
    await bed.start({ stepMs: 20, instances: 1 })
    const result = await runWith(bed, { inputs: { ...SAMPLE_APP_INPUTS, 's3-bucket': 'Legacy_Bundles' } })
    expect(result.commands).toContainEqual(expect.stringMatching(/^::warning::s3-bucket 'Legacy_Bundles' is a legacy bucket name/))
    expect(errorsOf(result).join('\n')).not.toMatch(/not a valid S3 bucket name/)
    expect(bed.tb.s3.requests.map((r: { bucket: string }) => r.bucket)).toContain('Legacy_Bundles')
  }, 60_000)
})
