/**
 * What the real S3, the real agent and a real runner do to a deployment, through the built action:
 * a bundle deployments are pinned to is never replaced (re-runs with other bytes, versioned
 * buckets), an archived bundle is never deployed, a cancel mid-upload leaves nothing, and no stray
 * rejection or exception can skip the report.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { ChildProcess } from 'node:child_process'
import { BUCKET, errorsOf, runWith, SAMPLE_APP_INPUTS, useTestbed, type RunResult } from './harness.js'

const SHA = '5555555555555555555555555555555555555555'
const KEY = `app/${SHA}.zip`
const bed = useTestbed({ sha: SHA, instances: 2, inputs: SAMPLE_APP_INPUTS })

/** The workspace's tree changed after the first run, as a non-reproducible build step would. */
function rebuild(): void {
  fs.writeFileSync(path.join(bed.ws.app, 'build-info.txt'), `built at ${Date.now()} ${Math.random()}\n`)
}

const deployments = (): number => bed.cdCalls('CreateDeployment').length

describe('a re-run for the same commit that built other bytes', () => {
  test('unversioned bucket: refused before any deployment, naming both sha256s; the pinned object is untouched', async () => {
    const first = await runWith(bed)
    expect(first.outputs['status']).toBe('Succeeded')
    rebuild()
    const second = await runWith(bed)
    expect(second.code).toBe(1)
    expect(deployments()).toBe(1)
    const [error] = errorsOf(second)
    expect(errorsOf(second)).toHaveLength(1)
    expect(error).toContain(`already holds another bundle for this commit (sha256 ${first.outputs['bundle-sha256']}`)
    expect(error).toContain(`than this run built (sha256 ${second.outputs['bundle-sha256']})`)
    expect(error).toMatch(/Fix: make the build reproducible.*enable versioning on the bucket/)
    expect(second.summary).toContain('already holds another bundle')
    const object = await bed.tb.s3.getObject(BUCKET, KEY)
    expect(object.etag.replace(/"/g, '')).toBe(first.outputs['bundle-etag'])
    // So Auto Scaling can still scale out: its deployment gets the pinned revision by eTag.
    const scaleOut = await bed.tb.codedeploy.waitForEnd(bed.tb.codedeploy.scaleOut(SAMPLE_APP_INPUTS['application-name']!, 'production'))
    expect([scaleOut.creator, scaleOut.status]).toEqual(['autoscaling', 'Succeeded'])
  })

  test('versioned bucket: written as a new version and deployed by it; the first version stays for rollbacks', async () => {
    bed.tb.s3.setVersioning(BUCKET, 'Enabled')
    const first = await runWith(bed)
    rebuild()
    const second = await runWith(bed)
    expect([first.outputs['status'], second.outputs['status']]).toEqual(['Succeeded', 'Succeeded'])
    expect(second.outputs['uploaded']).toBe('true')
    expect(second.outputs['bundle-version']).not.toBe(first.outputs['bundle-version'])
    const revisions = bed
      .cdCalls('CreateDeployment')
      .map(r => (r.input as { revision: { s3Location: { version?: string } } }).revision.s3Location.version)
    expect(revisions).toEqual([first.outputs['bundle-version'], second.outputs['bundle-version']])
  })
})

describe('an archived bundle', () => {
  test('a redeploy of an object moved to DEEP_ARCHIVE is refused before CreateDeployment, with the restore command', async () => {
    const first = await runWith(bed)
    expect(first.outputs['status']).toBe('Succeeded')
    bed.tb.s3.setStorageClass(BUCKET, KEY, { storageClass: 'DEEP_ARCHIVE' })
    const redeploy = await runWith(bed, { inputs: { upload: 'never' } })
    expect(redeploy.code).toBe(1)
    expect(deployments()).toBe(1)
    expect(errorsOf(redeploy)).toEqual([
      expect.stringMatching(
        /is archived in DEEP_ARCHIVE: CodeDeploy cannot read it, so DownloadBundle would fail with InvalidObjectState on every instance\..*aws s3api restore-object --bucket bundles --key app\/5{40}\.zip --restore-request/
      )
    ])
  })

  test('a restored copy is deployed, with a warning that names the date it goes away and how to keep it', async () => {
    const first = await runWith(bed)
    expect(first.outputs['status']).toBe('Succeeded')
    const expiry = new Date(Date.now() + 3 * 86_400_000 + 3_600_000)
    bed.tb.s3.setStorageClass(BUCKET, KEY, {
      storageClass: 'GLACIER',
      restore: `ongoing-request="false", expiry-date="${expiry.toUTCString()}"`
    })
    const redeploy = await runWith(bed, { inputs: { upload: 'never' } })
    expect([redeploy.code, redeploy.outputs['status']]).toEqual([0, 'Succeeded'])
    expect(deployments()).toBe(2)
    const until = new Date(Math.floor(expiry.getTime() / 1000) * 1000).toISOString()
    expect(redeploy.commands).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^::warning::s3://${BUCKET}/app/5{40}\\.zip is a restored copy of an archived object, readable until ${until.replace(/\./g, '\\.')} \\(in 3 days\\)\\..*restore-object`
        )
      )
    )
  })
})

describe('cancelled while the bundle goes up in parts', () => {
  test('SIGTERM while CreateMultipartUpload is answered: stops within a second, leaves no object and no multipart upload', async () => {
    fs.writeFileSync(path.join(bed.ws.app, 'big.bin'), randomBytes(20 << 20))
    bed.tb.s3.injectFault({ operation: 'CreateMultipartUpload', kind: 'slow', delayMs: 300 })
    // Checked on every log line and every 5 ms: the signal goes as soon as S3 has the request.
    let sentAt = 0
    let timer: NodeJS.Timeout | undefined
    const onLine = (_line: string, child: ChildProcess): void => {
      const fire = (): void => {
        if (sentAt || !bed.s3Calls('CreateMultipartUpload').length) return
        sentAt = Date.now()
        child.kill('SIGTERM')
      }
      if (!timer) {
        timer = setInterval(fire, 5)
        child.once('exit', () => clearInterval(timer))
      }
      fire()
    }
    const result = await runWith(bed, { onLine })
    expect(sentAt).toBeGreaterThan(0)
    expect(Date.now() - sentAt).toBeLessThan(2000)
    expect(result.code).toBe(1)
    await bed.tb.s3.idle()
    expect(await bed.tb.s3.listMultipartUploads(BUCKET)).toEqual([])
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(deployments()).toBe(0)
  })
})

describe('a rejection or exception nobody catches', () => {
  let preloads: string
  beforeAll(() => {
    preloads = fs.mkdtempSync(path.join(os.tmpdir(), 'cda-preload-'))
  })
  afterAll(() => fs.rmSync(preloads, { recursive: true, force: true }))

  /** A module loaded before the action (NODE_OPTIONS --import) that misbehaves once the deployment exists. */
  function preload(kind: 'rejection' | 'exception'): string {
    const file = path.join(preloads, `${kind}.mjs`)
    const misbehave =
      kind === 'rejection'
        ? "void Promise.reject(new Error('stray rejection (injected by the test)'))"
        : "setTimeout(() => { throw new Error('stray exception (injected by the test)') }, 0)"
    fs.writeFileSync(
      file,
      `const write = process.stdout.write.bind(process.stdout)
let done = false
process.stdout.write = (chunk, ...rest) => {
  if (!done && String(chunk).includes('Created deployment d-')) { done = true; setTimeout(() => { ${misbehave} }, 0) }
  return write(chunk, ...rest)
}
`
    )
    return file
  }

  test.each(['rejection', 'exception'] as const)(
    'a stray %s during the watch: outputs and summary written, the step failed once',
    async kind => {
      const result: RunResult = await runWith(bed, { env: { NODE_OPTIONS: `--import ${preload(kind)}` } })
      expect(result.code).toBe(1)
      expect(result.outputs['deployment-id']).toMatch(/^d-/)
      expect(result.outputs['summary']).toBeTruthy()
      expect(result.summary).toContain(result.outputs['deployment-id'])
      expect(errorsOf(result)).toEqual([expect.stringContaining(`stray ${kind} (injected by the test)`)])
      // No raw stack trace: Node did not end the process on its own.
      expect(result.stderr).not.toMatch(/^\s+at /m)
    }
  )
})
