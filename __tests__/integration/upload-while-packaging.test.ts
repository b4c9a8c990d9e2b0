/**
 * Upload while packaging (issue 13), through the built action against the local S3: when the key
 * is free, the multipart upload starts before the bundle is finished and the stored object is the
 * bundle byte for byte; completion is conditional; a cancel, a packaging failure or an S3 failure
 * leaves no multipart upload open; a re-run reuses the object by the checksum S3 keeps.
 */
import { createHash, randomBytes } from 'node:crypto'
import { execFileSync, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { BUCKET, errorsOf, runWith, SAMPLE_APP_INPUTS, useTestbed, type OnLine } from './harness.js'

const SHA = '1313131313131313131313131313131313131313'
const KEY = `app/${SHA}.zip`
const MB = 1 << 20
const bed = useTestbed({ sha: SHA, instances: 2, inputs: SAMPLE_APP_INPUTS })

/** About 72 MB of base64 text (a bundle of about 55 MB, deflated): long enough to package that the upload can overtake it. */
function bigTree(): void {
  const dir = path.join(bed.ws.app, 'assets')
  fs.mkdirSync(dir, { recursive: true })
  for (let i = 0; i < 24; i++)
    fs.writeFileSync(path.join(dir, `chunk-${String(i).padStart(2, '0')}.txt`), randomBytes(9 * (MB / 4)).toString('base64'))
}

const deployments = (): number => bed.cdCalls('CreateDeployment').length
/** Once S3 has settled: no multipart upload left open and no object stored. */
async function expectNothingStored(): Promise<void> {
  await bed.tb.s3.idle()
  expect(await bed.tb.s3.listMultipartUploads(BUCKET)).toEqual([])
  expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
}
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

/** Calls `fire(child)` once, as soon as S3 has received its first UploadPart (checked every 5 ms and on each log line). */
function onFirstPart(fire: (child: ChildProcess) => void): { onLine: OnLine; firedAt: () => number } {
  let firedAt = 0
  let timer: NodeJS.Timeout | undefined
  const onLine: OnLine = (_line, child) => {
    const check = (): void => {
      if (firedAt || !bed.s3Calls('UploadPart').length) return
      firedAt = Date.now()
      fire(child)
    }
    if (!timer) {
      timer = setInterval(check, 5)
      child.once('exit', () => clearInterval(timer))
    }
    check()
  }
  return { onLine, firedAt: () => firedAt }
}

test('a free key: UploadPart reaches S3 before the bundle is finished; the object is the bundle; a re-run reuses it, and check says so', async () => {
  bigTree()
  let packagedAt = 0
  const result = await runWith(bed, {
    onLine: line => {
      if (!packagedAt && /^Bundle: \d+ entries/.test(line)) packagedAt = Date.now()
    }
  })
  expect(result.outputs['status']).toBe('Succeeded')
  const parts = bed.s3Calls('UploadPart')
  expect(parts.length).toBeGreaterThan(2)
  // The log line is written once packaging (and hashing) ended: the first part went up before it.
  expect(packagedAt).toBeGreaterThan(0)
  expect(parts[0]!.at).toBeLessThan(packagedAt)
  expect(result.stdout).toMatch(/Uploaded to s3:\/\/bundles\/app\/(13){20}\.zip \(eTag [0-9a-f]{32}-\d+\) while packaging/)

  const stored = await bed.tb.s3.getObject(BUCKET, KEY)
  expect(sha256(stored.body)).toBe(result.outputs['bundle-sha256'])
  expect(String(stored.body.length)).toBe(result.outputs['bundle-size'])
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cda-stream-')), 'bundle.zip')
  fs.writeFileSync(file, stored.body)
  // As the agent unpacks it; -t first: every CRC checked.
  execFileSync('unzip', ['-tq', file])
  const out = path.join(path.dirname(file), 'out')
  execFileSync('unzip', ['-qo', file, '-d', out])
  expect(
    fs.readFileSync(path.join(out, 'assets', 'chunk-23.txt')).equals(fs.readFileSync(path.join(bed.ws.app, 'assets', 'chunk-23.txt')))
  ).toBe(true)
  fs.rmSync(path.dirname(file), { recursive: true, force: true })

  const again = await runWith(bed)
  expect([again.outputs['status'], again.outputs['uploaded']]).toEqual(['Succeeded', 'false'])
  expect(again.outputs['bundle-sha256']).toBe(result.outputs['bundle-sha256'])
  expect(again.outputs['bundle-etag']).toBe(result.outputs['bundle-etag'])
  expect(bed.s3Calls('CreateMultipartUpload')).toHaveLength(1)
  expect(deployments()).toBe(2)
  // Known by the checksum S3 keeps (no sha256 metadata: it went up before its sha256 was known), and said so.
  const reused = `s3://${BUCKET}/${KEY} already holds this exact bundle (same size and full-object CRC-32): not uploaded again.`
  expect(again.stdout).toContain(reused)

  // check compares as deploy does: the same object, so no upload.
  const checked = await runWith(bed, { inputs: { command: 'check' } })
  expect(checked.code).toBe(0)
  expect(checked.stdout).toContain(
    `reuse s3://${BUCKET}/${KEY}, which already holds this exact bundle (same size and full-object CRC-32): no upload`
  )
  expect(bed.s3Calls('CreateMultipartUpload')).toHaveLength(1)
})

test('another run stores the key while this one uploads: completion is refused (If-None-Match), its object stays, no upload is left open', async () => {
  bigTree()
  const other = Buffer.from('the bundle another run stored first')
  const { onLine, firedAt } = onFirstPart(() => {
    void bed.tb.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: other, IfNoneMatch: '*' }))
  })
  const result = await runWith(bed, { onLine })
  expect(firedAt()).toBeGreaterThan(0)
  expect(result.code).toBe(1)
  expect(errorsOf(result).join('\n')).toContain('already holds another bundle for this commit')
  expect(bed.s3Calls('CompleteMultipartUpload').map(r => r.status)).toEqual([412])
  expect((await bed.tb.s3.getObject(BUCKET, KEY)).body.equals(other)).toBe(true)
  await bed.tb.s3.idle()
  expect(await bed.tb.s3.listMultipartUploads(BUCKET)).toEqual([])
  expect(deployments()).toBe(0)
})

test('cancelled while packaging, with parts already up: stops, says so, leaves no object and no multipart upload', async () => {
  bigTree()
  const { onLine, firedAt } = onFirstPart(child => child.kill('SIGTERM'))
  const result = await runWith(bed, { onLine })
  expect(firedAt()).toBeGreaterThan(0)
  expect(Date.now() - firedAt()).toBeLessThan(3000)
  expect(result.code).toBe(1)
  expect(errorsOf(result).join('\n')).toContain('Cancelled while packaging')
  await expectNothingStored()
  expect(deployments()).toBe(0)
})

test('a file changes while it is packaged, after parts went up: the run fails naming it, the upload is aborted', async () => {
  bigTree()
  // Sorted last: not read yet when the first part goes up.
  const late = path.join(bed.ws.app, 'zz-late.txt')
  fs.writeFileSync(late, 'written by a build step\n')
  const { onLine, firedAt } = onFirstPart(() => fs.appendFileSync(late, 'still being written\n'))
  const result = await runWith(bed, { onLine })
  expect(firedAt()).toBeGreaterThan(0)
  expect(result.code).toBe(1)
  expect(errorsOf(result).join('\n')).toMatch(/zz-late\.txt.*changed while/)
  expect(bed.s3Calls('AbortMultipartUpload').length).toBeGreaterThan(0)
  await expectNothingStored()
  expect(deployments()).toBe(0)
})

test('UploadPart failing for good (500s): packaging stops, the run fails naming S3, no multipart upload is left', async () => {
  bigTree()
  bed.tb.s3.injectFault({ operation: 'UploadPart', kind: '5xx', count: 1000 })
  const result = await runWith(bed)
  expect(result.code).toBe(1)
  expect(errorsOf(result).join('\n')).toMatch(/uploading the bundle to s3:\/\/bundles\/app\/(13){20}\.zip while packaging/)
  await expectNothingStored()
  expect(deployments()).toBe(0)
})

test('UploadPart never answered (a stalled connection): the step ends by timeout-minutes, says so, and leaves no multipart upload', async () => {
  bigTree()
  bed.tb.s3.injectFault({ operation: 'UploadPart', kind: 'stall', count: 1000 })
  const started = Date.now()
  const result = await runWith(bed, { inputs: { 'timeout-minutes': '0.5' } })
  // timeout-minutes, then the aborts and the report.
  expect(Date.now() - started).toBeLessThan(30_000 + 15_000)
  expect(result.code).toBe(1)
  expect(errorsOf(result).join('\n')).toMatch(
    /timeout-minutes \(0\.5\) ran out while uploading the bundle to s3:\/\/bundles\/app\/(13){20}\.zip/
  )
  await expectNothingStored()
  expect(deployments()).toBe(0)
}, 120_000)
