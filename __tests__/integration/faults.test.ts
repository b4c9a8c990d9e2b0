/**
 * Faults injected into the local servers while the built action runs: S3 failing or dropping
 * connections during single and multipart uploads, CodeDeploy throttling, failing and dropping
 * connections on every call the action makes, the watch losing contact, and the workflow being
 * cancelled mid-upload and mid-watch. Every test ends on the servers' final state: what is in the
 * bucket, which multipart uploads are still open, which deployments exist and how they ended.
 */
import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { ChildProcess } from 'node:child_process'
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand
} from '@aws-sdk/client-s3'
import {
  BUCKET,
  errorsOf,
  makeWorkspace,
  runWith,
  SAMPLE_APP_INPUTS,
  useTestbed,
  type CdRecord,
  type RunResult,
  type RunWith,
  type Workspace
} from './harness.js'

const SHA = '3333333333333333333333333333333333333333'
const KEY = `sample-app/${SHA}.zip`
/** The runner's grace between the cancel signal and SIGKILL. */
const RUNNER_GRACE_MS = 7500
/** Comfortably past the action's 16 MiB multipart threshold (70 MiB, several parts), random so it stays that size zipped. */
const BIG_FILES = 5
const BIG_FILE_BYTES = 14 << 20

/** A fresh testbed and workspace per test, started by each describe block at its own pace. */
const bed = useTestbed({ autoStart: false, sha: SHA, inputs: { ...SAMPLE_APP_INPUTS, 's3-key-prefix': 'sample-app/' } })

/** Starts the testbed before each test of the enclosing describe; `stepMs` is how long a lifecycle event takes. */
function useTestbedAt(stepMs: number): void {
  beforeEach(async () => void (await bed.start({ stepMs })))
}

const run = (options: RunWith = {}): Promise<RunResult> => runWith(bed, options)
const s3Calls = bed.s3Calls
const cdCalls = bed.cdCalls

/** The bucket holds exactly the bundle the outputs describe, and nothing else is left open. */
async function expectIntactBundle(result: RunResult): Promise<void> {
  await bed.tb.s3.idle()
  expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([KEY])
  const object = await bed.tb.s3.getObject(BUCKET, KEY)
  expect(createHash('sha256').update(object.body).digest('hex')).toBe(result.outputs['bundle-sha256'])
  expect(String(object.body.length)).toBe(result.outputs['bundle-size'])
  expect(object.etag.replace(/"/g, '')).toBe(result.outputs['bundle-etag'])
  expect(await bed.tb.s3.listMultipartUploads(BUCKET)).toEqual([])
}

/** Nothing of this run is in S3, nothing half-written, nothing deployed. */
async function expectNothingLeft(): Promise<void> {
  // A request the action abandoned must have had its last word before the bucket is judged.
  await bed.tb.s3.idle()
  expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
  expect(await bed.tb.s3.listMultipartUploads(BUCKET)).toEqual([])
  expect(cdCalls('CreateDeployment')).toEqual([])
  expect(bed.tb.codedeploy.deployments()).toEqual([])
}

/** Exactly one deployment was made, and it succeeded. */
function expectOneSucceededDeployment(result: RunResult): void {
  expect(result.code).toBe(0)
  expect(result.outputs['status']).toBe('Succeeded')
  const deployments = bed.tb.codedeploy.deployments()
  expect(deployments.map((d: { deploymentId: string; status: string }) => [d.deploymentId, d.status])).toEqual([
    [result.outputs['deployment-id'], 'Succeeded']
  ])
}

/** Sends `signal` to the action once `ready()` holds (checked on every log line and every 20 ms). */
function signalWhen(ready: (line: string) => boolean, signal: NodeJS.Signals = 'SIGTERM') {
  const state: { sentAt: number | undefined } = { sentAt: undefined }
  let timer: NodeJS.Timeout | undefined
  const onLine = (line: string, child: ChildProcess): void => {
    const fire = (): void => {
      if (state.sentAt !== undefined) return
      state.sentAt = Date.now()
      child.kill(signal)
    }
    if (!timer) {
      timer = setInterval(() => ready('') && fire(), 20)
      child.once('exit', () => clearInterval(timer))
    }
    if (ready(line)) fire()
  }
  return { onLine, state }
}

describe('the S3 fault injector itself (testbed)', () => {
  useTestbedAt(20)
  // No retries, so each injected fault is seen as it is.
  let s3: S3Client
  beforeEach(() => {
    s3 = new S3Client({
      endpoint: bed.tb.s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED'
    })
  })
  afterEach(() => s3.destroy())
  const put = (key: string, options: { abortSignal?: AbortSignal } = {}, body = randomBytes(1 << 20)) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }), options)

  test('5xx answers InternalError, then SlowDown, stores nothing, and is used up after its count', async () => {
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: '5xx', count: 1 })
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: '5xx', status: 503, count: 1 })
    await expect(put('k')).rejects.toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } })
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    await expect(put('k')).rejects.toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })
    await put('k')
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual(['k'])
    expect(s3Calls('PutObject').map(r => [r.fault ?? '', r.status])).toEqual([
      ['5xx', 500],
      ['5xx', 503],
      ['', 200]
    ])
  })

  test('reset drops the connection mid-body: no answer, nothing stored', async () => {
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: 'reset' })
    await expect(put('k')).rejects.toThrow()
    await bed.tb.s3.idle()
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(s3Calls('PutObject').map(r => [r.fault, r.status])).toEqual([['reset', 0]])
  })

  test('slow holds the request, then serves it whole', async () => {
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: 'slow', delayMs: 300 })
    const body = randomBytes(3 << 20)
    const started = Date.now()
    await put('k', {}, body)
    expect(Date.now() - started).toBeGreaterThanOrEqual(300)
    expect((await bed.tb.s3.getObject(BUCKET, 'k')).body.equals(body)).toBe(true)
    expect(s3Calls('PutObject').map(r => [r.fault, r.status])).toEqual([['slow', 200]])
  })

  test('slow, abandoned by the client: ends at once and stores nothing', async () => {
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: 'slow', delayMs: 10_000 })
    await expect(put('k', { abortSignal: AbortSignal.timeout(200) })).rejects.toThrow()
    const started = Date.now()
    await bed.tb.s3.idle()
    expect(Date.now() - started).toBeLessThan(2000)
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(s3Calls('PutObject')[0]).toMatchObject({ fault: 'slow', status: 0 })
  })

  test('an open multipart upload is listed until it is aborted', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'big.zip' }))
    await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'big.zip', UploadId, PartNumber: 1, Body: randomBytes(5 << 20) }))
    expect(await bed.tb.s3.listMultipartUploads(BUCKET)).toEqual([{ uploadId: UploadId, key: 'big.zip', parts: 1 }])
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'big.zip', UploadId }))
    expect(await bed.tb.s3.listMultipartUploads(BUCKET)).toEqual([])
    expect(bed.tb.s3.requests.filter(r => r.bucket === BUCKET && r.key).map(r => [r.operation, r.status])).toEqual([
      ['CreateMultipartUpload', 200],
      ['UploadPart', 200],
      ['AbortMultipartUpload', 204]
    ])
  })
})

describe('S3 faults during a single-request upload', () => {
  useTestbedAt(20)

  // The SDK never resends a streamed body: the bundle goes up as buffers, which it retries.
  test.each([
    ['500 InternalError', { kind: '5xx' as const }],
    ['503 SlowDown', { kind: '5xx' as const, status: 503 }],
    ['a connection reset mid-body', { kind: 'reset' as const }]
  ])('PutObject answered %s once is retried, and the bundle arrives intact', async (_name, fault) => {
    bed.tb.s3.injectFault({ operation: 'PutObject', count: 1, ...fault })
    const result = await run()
    expectOneSucceededDeployment(result)
    expect(s3Calls('PutObject').map(r => r.fault ?? r.status)).toEqual([fault.kind, 200])
    await expectIntactBundle(result)
  })

  test('PutObject failing for good: one clear error, no object, no deployment', async () => {
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: '5xx', count: 100 })
    const result = await run()
    expect(result.code).toBe(1)
    expect(errorsOf(result)).toEqual([
      expect.stringMatching(new RegExp(`^::error::uploading the bundle to s3://${BUCKET}/${KEY} failed: InternalError`))
    ])
    expect(result.outputs['status']).toBe('')
    expect(result.outputs['deployment-id']).toBe('')
    expect(result.outputs['uploaded']).toBe('false')
    expect(s3Calls('PutObject').every(r => r.fault === '5xx')).toBe(true)
    await expectNothingLeft()
  })

  test('HeadObject throttled and failing before the upload is retried', async () => {
    bed.tb.s3.injectFault({ operation: 'HeadObject', kind: '5xx', status: 503, count: 1 })
    bed.tb.s3.injectFault({ operation: 'HeadObject', kind: '5xx', count: 1 })
    const result = await run()
    expectOneSucceededDeployment(result)
    expect(s3Calls('HeadObject').map(r => r.fault ?? r.status)).toEqual(['5xx', '5xx', 404])
    await expectIntactBundle(result)
  })
})

describe('S3 faults during a multipart upload (a bundle over 64 MiB)', () => {
  useTestbedAt(20)
  let big: Workspace

  beforeAll(() => {
    big = makeWorkspace()
    fs.mkdirSync(path.join(big.app, 'assets'))
    for (let i = 0; i < BIG_FILES; i++) fs.writeFileSync(path.join(big.app, 'assets', `blob-${i}.bin`), randomBytes(BIG_FILE_BYTES))
  })
  afterAll(() => big.cleanup())

  /** Part numbers that were answered 200, and those that were hit by a fault. */
  const parts = () => {
    const calls = s3Calls('UploadPart')
    return {
      ok: [...new Set(calls.filter(r => r.status === 200).map(r => Number(r.query['partNumber'])))].sort((a, b) => a - b),
      faulted: calls.filter(r => r.fault).map(r => Number(r.query['partNumber'])),
      uploadIds: [...new Set(calls.map(r => r.query['uploadId']))]
    }
  }

  test('CreateMultipartUpload and CompleteMultipartUpload failing once are retried; the object is whole', async () => {
    bed.tb.s3.injectFault({ operation: 'CreateMultipartUpload', kind: '5xx', count: 1 })
    bed.tb.s3.injectFault({ operation: 'CompleteMultipartUpload', kind: '5xx', status: 503, count: 1 })
    const result = await run({ workspace: big })
    expectOneSucceededDeployment(result)
    expect(Number(result.outputs['bundle-size'])).toBeGreaterThan(64 << 20)
    expect(s3Calls('CreateMultipartUpload').map(r => r.fault ?? r.status)).toEqual(['5xx', 200])
    expect(s3Calls('CompleteMultipartUpload').map(r => r.fault ?? r.status)).toEqual(['5xx', 200])
    const { ok } = parts()
    expect(ok.length).toBeGreaterThan(1)
    expect(ok).toEqual(Array.from({ length: ok.length }, (_, i) => i + 1))
    await expectIntactBundle(result)
  })

  test('UploadPart answered 5xx, 503 and a connection reset is retried part by part; the object is whole', async () => {
    bed.tb.s3.injectFault({ operation: 'UploadPart', kind: '5xx', count: 1 })
    bed.tb.s3.injectFault({ operation: 'UploadPart', kind: 'reset', count: 1 })
    bed.tb.s3.injectFault({ operation: 'UploadPart', kind: '5xx', status: 503, count: 1 })
    const result = await run({ workspace: big })
    expectOneSucceededDeployment(result)
    const { ok, faulted, uploadIds } = parts()
    expect(faulted).toHaveLength(3)
    for (const part of faulted) expect(ok).toContain(part)
    expect(uploadIds).toHaveLength(1)
    expect(s3Calls('AbortMultipartUpload')).toEqual([])
    await expectIntactBundle(result)
  })

  test('a part that cannot be uploaded: the multipart upload is aborted, nothing is left, nothing deployed', async () => {
    bed.tb.s3.injectFault({ operation: 'UploadPart', kind: 'reset', count: 1000 })
    const result = await run({ workspace: big })
    expect(result.code).toBe(1)
    // Uploaded while packaging (the key was free): the error says so.
    expect(errorsOf(result)).toEqual([
      expect.stringMatching(new RegExp(`^::error::uploading the bundle to s3://${BUCKET}/${KEY} while packaging failed`))
    ])
    const { uploadIds } = parts()
    expect(uploadIds).toHaveLength(1)
    const aborts = s3Calls('AbortMultipartUpload')
    expect(aborts.map(r => [r.query['uploadId'], r.status])).toEqual([
      [uploadIds[0], 204],
      // Parts were cut in flight: aborted again for any that landed late (none here: NoSuchUpload).
      [uploadIds[0], 404]
    ])
    expect(s3Calls('CompleteMultipartUpload')).toEqual([])
    await expectNothingLeft()
  })

  // A failing part cuts the others short, so the step ends at once; S3 may still store a part it was
  // receiving after the abort (and bill it, out of sight), so the upload is aborted a second time.
  test('parts cut in flight: the upload is aborted, then aborted again for any that landed late; nothing is left', async () => {
    bed.tb.s3.injectFault({ operation: 'UploadPart', kind: 'slow', delayMs: 3000, count: 3 })
    bed.tb.s3.injectFault({ operation: 'UploadPart', kind: 'reset', count: 1000 })
    const result = await run({ workspace: big })
    expect(result.code).toBe(1)
    const { uploadIds } = parts()
    expect(uploadIds).toHaveLength(1)
    expect(s3Calls('AbortMultipartUpload').map(r => r.query['uploadId'])).toEqual([uploadIds[0], uploadIds[0]])
    expect(s3Calls('CompleteMultipartUpload')).toEqual([])
    await expectNothingLeft()
  })

  test('cancelled (SIGTERM) while parts are uploading: the multipart upload is aborted, no deployment is created', async () => {
    bed.tb.s3.injectFault({ operation: 'UploadPart', kind: 'slow', delayMs: 5000, count: 100 })
    const cancel = signalWhen(() => s3Calls('UploadPart').some(r => r.fault === 'slow'))
    const result = await run({ workspace: big, onLine: cancel.onLine })
    expect(cancel.state.sentAt).toBeDefined()
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('Received SIGTERM')
    expect(errorsOf(result)).toHaveLength(1)
    const { uploadIds } = parts()
    expect(s3Calls('AbortMultipartUpload').map(r => [r.query['uploadId'], r.status])).toEqual([
      [uploadIds[0], 204],
      // Parts were cut in flight: aborted again for any that landed late (none here: NoSuchUpload).
      [uploadIds[0], 404]
    ])
    await expectNothingLeft()
  })
})

describe('cancelled while the bundle is uploading', () => {
  useTestbedAt(20)

  const cancelDuringPut = () => {
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: 'slow', delayMs: 5000, count: 10 })
    return signalWhen(() => s3Calls('PutObject').some(r => r.fault === 'slow'))
  }

  test('SIGTERM while PutObject is in flight: the upload is abandoned, no object, no deployment', async () => {
    const cancel = cancelDuringPut()
    const started = Date.now()
    const result = await run({ onLine: cancel.onLine })
    expect(cancel.state.sentAt).toBeDefined()
    // Well inside the runner's grace period, not after the slow upload would have finished.
    expect(Date.now() - cancel.state.sentAt!).toBeLessThan(RUNNER_GRACE_MS)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('Received SIGTERM: the workflow is being cancelled.')
    expect(errorsOf(result)).toHaveLength(1)
    expect(result.outputs['deployment-id']).toBe('')
    expect(result.outputs['status']).toBe('')
    await expectNothingLeft()
  })

  // An aborted upload must read as the cancel it is, not as an S3 failure.
  test('the failure says the run was cancelled before anything was deployed', async () => {
    const cancel = cancelDuringPut()
    const result = await run({ onLine: cancel.onLine })
    expect(result.code).toBe(1)
    expect(errorsOf(result)).toEqual([expect.stringMatching(/cancel/i)])
    expect(result.summary).toMatch(/cancel/i)
  })
})

/** Every CodeDeploy call a deployment makes, from the preflight to the end of the watch. */
const PREFLIGHT = ['GetApplication', 'GetDeploymentGroup', 'GetDeploymentConfig']
/** The calls the action retries on its own schedule, beyond the SDK's attempts. */
const SELF_RETRIED = ['CreateDeployment', 'GetDeployment', 'ListDeploymentTargets', 'BatchGetDeploymentTargets']
const CALLS = [...PREFLIGHT, ...SELF_RETRIED]
const CONFIG = { 'deployment-config': 'CodeDeployDefault.OneAtATime' }
type Fault = { kind: 'throttle' | '5xx' | 'reset'; status?: number }
const BURST: Fault[] = [{ kind: 'throttle' }, { kind: '5xx', status: 503 }, { kind: 'reset' }]

describe('CodeDeploy throttling, 5xx and dropped connections on every call', () => {
  useTestbedAt(20)

  /** Runs a deployment with `faults` on the next calls of `operation`; one deployment, Succeeded. */
  async function rideOut(operation: string, faults: Fault[]): Promise<void> {
    for (const fault of faults) bed.tb.codedeploy.injectFault({ operation, count: 1, ...fault })
    const result = await run({ inputs: CONFIG })
    expectOneSucceededDeployment(result)
    const calls = cdCalls(operation)
    expect(calls.slice(0, faults.length + 1).map((r: CdRecord) => r.fault ?? r.status)).toEqual([...faults.map(f => f.kind), 200])
    // A retried CreateDeployment must not have made a second deployment.
    expect(cdCalls('CreateDeployment').filter((r: CdRecord) => r.status === 200)).toHaveLength(1)
    expect(result.summary).toContain('✅')
  }

  test('the list of calls is what a deployment makes', async () => {
    const result = await run({ inputs: CONFIG })
    expectOneSucceededDeployment(result)
    expect([...new Set(bed.tb.codedeploy.requests.map((r: CdRecord) => r.operation))].sort()).toEqual([...CALLS].sort())
  })

  test.each(PREFLIGHT)('%s throttled, then answered 503: retried, one deployment, Succeeded', async operation => {
    await rideOut(operation, BURST.slice(0, 2))
  })

  test.each(SELF_RETRIED)('%s throttled, then 503, then reset: retried, one deployment, Succeeded', async operation => {
    await rideOut(operation, BURST)
  })

  // The checks before anything is uploaded ride out the same burst as the rest.
  test.each(PREFLIGHT)('%s throttled, then 503, then reset: retried, one deployment, Succeeded', async operation => {
    await rideOut(operation, BURST)
  })

  test('CodeDeploy failing for good: one clear error before anything is uploaded', async () => {
    bed.tb.codedeploy.injectFault({ operation: 'GetApplication', kind: '5xx', count: 1000 })
    const result = await run()
    expect(result.code).toBe(1)
    expect(errorsOf(result)).toEqual([expect.stringMatching(/^::error::reading the application failed: InternalFailure/)])
    expect(cdCalls('GetApplication').length).toBeGreaterThan(1)
    expect(bed.tb.s3.requests.filter(r => /codedeploy-action/.test(r.userAgent) && r.method !== 'GET' && r.method !== 'HEAD')).toEqual([])
    await expectNothingLeft()
  })
})

describe('the watch losing contact with CodeDeploy', () => {
  useTestbedAt(20)

  test('for good: keeps trying until the time-out, fails, and never reports an outcome it did not see', async () => {
    bed.tb.codedeploy.injectFault({ operation: 'GetDeployment', kind: 'reset', count: 100_000 })
    const result = await run({ inputs: { 'timeout-minutes': '0.05' } })
    expect(result.code).toBe(1)
    const id = result.outputs['deployment-id']!
    // The deployment did succeed; the action could not see it, so it must not say so.
    expect(bed.tb.codedeploy.deployment(id).status).toBe('Succeeded')
    expect(['Succeeded', 'Failed', 'Stopped']).not.toContain(result.outputs['status'])
    expect(cdCalls('GetDeployment').length).toBeGreaterThan(3)
    expect(cdCalls('GetDeployment').every((r: CdRecord) => r.fault === 'reset')).toBe(true)
    const [failure] = errorsOf(result)
    expect(failure).toMatch(new RegExp(`${id}.*timeout-minutes.*could not be reached`))
    expect(result.commands).toContainEqual(expect.stringMatching(/^::warning::Cannot reach CodeDeploy .*still trying until the time-out/))
    expect(result.outputs['summary']).toContain('FAILED')
    expect(result.outputs['summary']).not.toMatch(/Succeeded|Failed,|Stopped/)
    expect(result.summary).not.toContain('✅')
    expect(result.outputs['instances-succeeded']).toBe('0')
    // Nor a state: having never read the deployment, it cannot know it is still running.
    expect(failure).not.toMatch(/still running|last seen Unknown/)
    expect(result.summary).not.toMatch(/still running/)
  })

  test('for a while: keeps watching, says contact is back, and reports the end it saw', async () => {
    // More resets than the SDK's own attempts, so the watch itself has to carry on.
    bed.tb.codedeploy.injectFault({ operation: 'GetDeployment', kind: 'reset', count: 12 })
    const result = await run()
    expectOneSucceededDeployment(result)
    expect(result.commands).toContainEqual(expect.stringMatching(/^::warning::Cannot reach CodeDeploy/))
    expect(result.commands).toContainEqual(expect.stringMatching(/^::warning::Back in contact with CodeDeploy/))
    expect(result.outputs['instances-succeeded']).toBe('3')
    expect(errorsOf(result)).toEqual([])
  })
})

describe('cancelled while the deployment runs', () => {
  // Slow lifecycle events, so the deployment is still running when the signal comes.
  useTestbedAt(300)

  const cancelAfterCreate = (signal: NodeJS.Signals = 'SIGTERM') => signalWhen(line => /^Created deployment d-/.test(line), signal)

  test.each(['SIGTERM', 'SIGINT'] as const)(
    "%s: StopDeployment within the runner's grace period, the deployment Stopped, and the step says so",
    async signal => {
      const cancel = cancelAfterCreate(signal)
      const result = await run({ onLine: cancel.onLine })
      expect(result.code).toBe(1)
      const id = result.outputs['deployment-id']!
      expect(id).toMatch(/^d-/)
      const stops = cdCalls('StopDeployment')
      expect(stops.map((r: CdRecord) => [r.input.deploymentId, r.status])).toEqual([[id, 200]])
      expect(stops[0]!.at - cancel.state.sentAt!).toBeLessThan(RUNNER_GRACE_MS)
      expect(bed.tb.codedeploy.deployment(id).status).toBe('Stopped')
      expect(result.stdout).toContain(`Received ${signal}`)
      expect(errorsOf(result)).toEqual([
        expect.stringContaining(`Deployment ${id} (sample-app/production) was stopped because the workflow was cancelled`)
      ])
      expect(result.summary).toContain('stopped: workflow cancelled')
      expect(result.outputs['summary']).toContain('Stopped (cancelled)')
    }
  )

  test('StopDeployment throttled and failing once still lands within the grace period', async () => {
    bed.tb.codedeploy.injectFault({ operation: 'StopDeployment', kind: 'throttle', count: 1 })
    bed.tb.codedeploy.injectFault({ operation: 'StopDeployment', kind: '5xx', count: 1 })
    const cancel = cancelAfterCreate()
    const result = await run({ onLine: cancel.onLine })
    expect(result.code).toBe(1)
    const id = result.outputs['deployment-id']!
    const stops = cdCalls('StopDeployment')
    expect(stops.map((r: CdRecord) => r.fault ?? r.status)).toEqual(['throttle', '5xx', 200])
    expect(stops[2]!.at - cancel.state.sentAt!).toBeLessThan(RUNNER_GRACE_MS)
    expect(bed.tb.codedeploy.deployment(id).status).toBe('Stopped')
    expect(result.summary).toContain('stopped: workflow cancelled')
  })

  test('stop-on-cancel: false leaves the deployment running and says so', async () => {
    const cancel = cancelAfterCreate()
    const result = await run({ inputs: { 'stop-on-cancel': 'false' }, onLine: cancel.onLine })
    expect(result.code).toBe(1)
    const id = result.outputs['deployment-id']!
    expect(cdCalls('StopDeployment')).toEqual([])
    expect(result.commands).toContainEqual(expect.stringContaining(`::warning::Deployment ${id} keeps running (stop-on-cancel: false)`))
    expect(['Created', 'InProgress']).toContain(bed.tb.codedeploy.deployment(id).status)
    expect(result.outputs['summary']).toContain('(cancelled)')
  })
})

describe('a CreateDeployment answer lost after the service created the deployment', () => {
  useTestbedAt(20)

  test('the action finds and follows the deployment it created, and never starts a second one', async () => {
    bed.tb.codedeploy.injectFault({ operation: 'CreateDeployment', kind: 'lost', count: 1 })
    const result = await run()
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/answer was lost.*: following it/)
    expect(bed.tb.codedeploy.deployments()).toHaveLength(1)
    expect(result.outputs['deployment-id']).toBe(bed.tb.codedeploy.deployments()[0]!.deploymentId)
    expect(result.outputs['status']).toBe('Succeeded')
  })
})
