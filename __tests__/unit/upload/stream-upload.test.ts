/**
 * An upload that follows the bundle as it is written (stream-upload.ts), against the local S3: parts
 * go up before the writer is done, the object holds the bytes exactly and carries S3's full-object
 * CRC-32, a slow S3 holds the writer back, and any failure, cancel or refused condition leaves no
 * multipart upload open.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { systemClock } from '../../../src/core/clock.js'
import { crc32Base64 } from '../../../src/upload/location.js'
import { StreamingUpload } from '../../../src/upload/stream-upload.js'
import { randomBytes, TempDirs } from '../../helpers/tree.js'
import { BUCKET, KEY, location, MB, useLocalS3 } from './local-s3.js'

const bed = useLocalS3()
const temp = new TempDirs()
afterAll(() => temp.cleanup())

const SIZES = { multipartThreshold: 6 * MB, partSize: 5 * MB, concurrency: 2 }

/** A writer stand-in: appends to the file in 1 MiB writes, reporting each as final and waiting when told to. */
class Writer {
  private written = 0
  constructor(
    private readonly file: string,
    private readonly hooks: ReturnType<StreamingUpload['follow']>
  ) {}

  async write(bytes: Buffer): Promise<void> {
    for (let at = 0; at < bytes.length; at += MB) {
      const chunk = bytes.subarray(at, at + MB)
      fs.appendFileSync(this.file, chunk)
      this.written += chunk.length
      await this.hooks.onFinal(this.written)
    }
  }
}

function start(signal = new AbortController().signal): { upload: StreamingUpload; writer: Writer } {
  const deps = { s3: bed.client, signal, clock: systemClock }
  const upload = new StreamingUpload(location(), { ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' }, deps, SIZES)
  const file = path.join(temp.make('cda-stream-'), 'bundle.zip')
  fs.writeFileSync(file, '')
  return { upload, writer: new Writer(file, upload.follow(file)) }
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')
/** Once S3 has settled: no multipart upload left open and no object stored. */
async function expectNothingStored(): Promise<void> {
  await bed.s3.idle()
  expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
  expect(await bed.s3.listKeys(BUCKET)).toEqual([])
}

test('parts go up while the file is still being written; the object is the bytes, with its full-object CRC-32', async () => {
  const bytes = randomBytes(23 * MB, 5)
  const { upload, writer } = start()
  await writer.write(bytes.subarray(0, 16 * MB))
  // The writer is not done, yet S3 already has parts.
  await until(() => bed.ops('UploadPart') >= 2)
  expect(bed.ops('CreateMultipartUpload')).toBe(1)
  await writer.write(bytes.subarray(16 * MB))
  const digest = await upload.finish(bytes.length)
  expect(digest).toEqual({ sha256: sha256(bytes), crc32: zlib.crc32(bytes) })
  const written = await upload.complete()
  const stored = await bed.s3.getObject(BUCKET, KEY)
  expect(sha256(stored.body)).toBe(sha256(bytes))
  expect(written.eTag).toMatch(/-5$/)
  const head = await bed.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY, ChecksumMode: 'ENABLED' }))
  expect([head.ChecksumCRC32, head.ChecksumType]).toEqual([crc32Base64(zlib.crc32(bytes)), 'FULL_OBJECT'])
  expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
})

test('a bundle within the threshold is not streamed: nothing is sent, the caller puts it whole', async () => {
  const { upload, writer } = start()
  await writer.write(randomBytes(6 * MB, 6))
  expect(await upload.finish(6 * MB)).toBeUndefined()
  expect(upload.streaming).toBe(false)
  await upload.abandon()
  expect(['CreateMultipartUpload', 'UploadPart', 'AbortMultipartUpload'].map(bed.ops)).toEqual([0, 0, 0])
})

test('a slow S3 holds the writer back instead of letting it run ahead', async () => {
  bed.s3.injectFault({ operation: 'UploadPart', kind: 'slow', delayMs: 1500, count: 2 })
  const { upload, writer } = start()
  let done = false
  const writing = writer.write(randomBytes(40 * MB, 7)).then(() => (done = true))
  await until(() => bed.ops('UploadPart') >= 2)
  await new Promise(resolve => setTimeout(resolve, 500))
  // Two parts in flight (both buffers), the lead allowed is 6 + 2 x 5 MiB: the writer waits short of 40 MiB.
  expect(done).toBe(false)
  await writing
  await upload.finish(40 * MB)
  await upload.complete()
  expect((await bed.s3.getObject(BUCKET, KEY)).contentLength).toBe(40 * MB)
})

describe('nothing is left open', () => {
  test('UploadPart failing for good: the writer is told to stop, the upload aborted', async () => {
    bed.s3.injectFault({ operation: 'UploadPart', kind: '5xx', count: 100 })
    const { upload, writer } = start()
    await writer.write(randomBytes(12 * MB, 8))
    await until(() => upload.failed.aborted)
    await expect(upload.finish(12 * MB)).rejects.toThrow()
    await upload.abandon()
    await expectNothingStored()
    expect(bed.ops('AbortMultipartUpload')).toBeGreaterThan(0)
  })

  test('a cancel while parts are in flight: stops, aborts twice (a cut part may land after the first)', async () => {
    bed.s3.injectFault({ operation: 'UploadPart', kind: 'slow', delayMs: 3000, count: 10 })
    const controller = new AbortController()
    const { upload, writer } = start(controller.signal)
    await writer.write(randomBytes(12 * MB, 9))
    await until(() => bed.ops('UploadPart') >= 1)
    controller.abort()
    expect(upload.failed.aborted).toBe(true)
    await upload.abandon()
    await expectNothingStored()
    expect(bed.ops('AbortMultipartUpload')).toBe(2)
  })

  test('packaging failing mid-way: abandon aborts the upload', async () => {
    const { upload, writer } = start()
    await writer.write(randomBytes(12 * MB, 10))
    await until(() => bed.ops('UploadPart') >= 1)
    await upload.abandon()
    await bed.s3.idle()
    expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
  })

  test('another run stored the key meanwhile: completion is refused (412), its object stays, nothing is left open', async () => {
    const { upload, writer } = start()
    const bytes = randomBytes(12 * MB, 11)
    await writer.write(bytes)
    await bed.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: 'the other run', IfNoneMatch: '*' }))
    await upload.finish(bytes.length)
    const error: unknown = await upload.complete().then(
      () => undefined,
      (e: unknown) => e
    )
    expect((error as { name?: string }).name).toBe('PreconditionFailed')
    await upload.abandon()
    expect((await bed.s3.getObject(BUCKET, KEY)).body.toString()).toBe('the other run')
    expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
  })
})

describe('the test bed checks CRC-32s as S3 does', () => {
  test('a part whose bytes do not match its x-amz-checksum-crc32 is refused with BadDigest', async () => {
    const { CreateMultipartUploadCommand, UploadPartCommand, AbortMultipartUploadCommand } = await import('@aws-sdk/client-s3')
    const { UploadId } = await bed.client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: KEY, ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' })
    )
    const body = Buffer.from('part bytes')
    const error: unknown = await bed.client
      .send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: KEY,
          UploadId,
          PartNumber: 1,
          Body: body,
          ChecksumCRC32: crc32Base64(zlib.crc32(body) ^ 1)
        })
      )
      .then(
        () => undefined,
        (e: unknown) => e
      )
    expect((error as { name?: string }).name).toBe('BadDigest')
    await bed.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: KEY, UploadId }))
  })

  test('HEAD returns the stored checksum only when asked (ChecksumMode)', async () => {
    const { upload, writer } = start()
    await writer.write(randomBytes(12 * MB, 12))
    await upload.finish(12 * MB)
    await upload.complete()
    const plain = await bed.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }))
    expect(plain.ChecksumCRC32).toBeUndefined()
  })
})
