import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CreateMultipartUploadCommandInput,
  type S3Client
} from '@aws-sdk/client-s3'
import type { Clock } from '../core/clock.js'
import { awsErrorName } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import type { Bundle } from '../bundle/write-bundle.js'
import { unquote } from './existing-object.js'
import type { BundleLocation } from './location.js'

export interface PartOptions {
  partSize?: number
  /** Parts in flight at once; memory is this many part buffers, reused. */
  concurrency?: number
  /** Called with the bytes S3 has taken so far, after each part (and once for a single PutObject): the progress lines. */
  onProgress?: (bytesSent: number) => void
}

export interface MultipartDeps {
  s3: S3Client
  signal: AbortSignal
  clock: Clock
}

export interface Written {
  eTag: string
  version: string | undefined
}

export const MAX_PARTS = 10_000
export const MIN_PART = 5 << 20
export const DEFAULT_PART_SIZE = 8 << 20
/** How long a cancelled run still waits for CreateMultipartUpload's answer, to learn the UploadId it must abort. */
export const CREATE_GRACE_MS = 500
/** Before the second AbortMultipartUpload: a part S3 was still storing at the first one lands meanwhile. */
export const SECOND_ABORT_AFTER_MS = 200

/**
 * Puts the bundle in parts, a few at a time, through a fixed set of part buffers. Whatever
 * happens after CreateMultipartUpload (a failure, a cancel, a refused condition) ends with the
 * upload aborted, so no billed, invisible parts are left: twice when parts were cut in flight,
 * as S3 documents that a part still arriving may outlive the first abort.
 * `ifNoneMatch`: CompleteMultipartUpload only if the key holds no object yet.
 */
export async function putMultipart(
  bundle: Bundle,
  loc: BundleLocation,
  params: Omit<CreateMultipartUploadCommandInput, 'Bucket' | 'Key'>,
  ifNoneMatch: boolean,
  options: PartOptions,
  deps: MultipartDeps
): Promise<Written> {
  const { s3, signal } = deps
  const partSize = Math.max(options.partSize ?? DEFAULT_PART_SIZE, MIN_PART, Math.ceil(bundle.size / MAX_PARTS))
  const count = Math.ceil(bundle.size / partSize)
  const file = await fs.promises.open(bundle.file, 'r')
  let uploadId: string | undefined
  // One part failing stops the others: their requests are cut, and awaited, before the abort.
  const stop = new AbortController()
  const onCancel = (): void => stop.abort()
  signal.addEventListener('abort', onCancel, { once: true })
  if (signal.aborted) stop.abort()
  let cut = false
  try {
    if (signal.aborted) throw new Error('the upload was cancelled')
    uploadId = await createUpload(s3, { ...params, Bucket: loc.bucket, Key: loc.key }, deps)
    if (signal.aborted) throw new Error('the upload was cancelled')
    const etags: string[] = new Array<string>(count)
    let next = 0
    let sent = 0
    const worker = async (): Promise<void> => {
      const buffer = Buffer.allocUnsafeSlow(partSize)
      while (next < count && !stop.signal.aborted) {
        const index = next++
        const start = index * partSize
        const length = Math.min(partSize, bundle.size - start)
        const { bytesRead } = await file.read(buffer, 0, length, start)
        if (bytesRead !== length) throw new Error(`${bundle.file} changed after it was written`)
        const body = buffer.subarray(0, length)
        const out = await s3
          .send(
            new UploadPartCommand({
              Bucket: loc.bucket,
              Key: loc.key,
              UploadId: uploadId,
              PartNumber: index + 1,
              Body: body,
              ContentLength: length,
              // S3 refuses a part whose bytes do not match (BadDigest), so a bad part never lands.
              ContentMD5: crypto.createHash('md5').update(body).digest('base64'),
              ExpectedBucketOwner: loc.expectedBucketOwner
            }),
            abortable(stop.signal)
          )
          .catch((error: unknown) => {
            if (stop.signal.aborted) cut = true
            throw error
          })
        etags[index] = out.ETag ?? ''
        sent += length
        options.onProgress?.(sent)
      }
    }
    // The first failure is the cause; the others are the workers it cut off.
    let cause: { error: unknown } | undefined
    await Promise.allSettled(
      Array.from({ length: Math.min(options.concurrency ?? 4, count) }, () =>
        worker().catch(error => {
          cause ??= { error }
          stop.abort()
        })
      )
    )
    if (cause) throw cause.error
    if (signal.aborted) throw new Error('the upload was cancelled')
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: loc.bucket,
        Key: loc.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        ExpectedBucketOwner: loc.expectedBucketOwner,
        ...(ifNoneMatch ? { IfNoneMatch: '*' } : {})
      }),
      abortable(signal)
    )
    uploadId = undefined
    return { eTag: unquote(done.ETag), version: done.VersionId }
  } catch (error) {
    if (uploadId) await abortUpload(s3, loc, uploadId, cut, deps.clock)
    throw error
  } finally {
    signal.removeEventListener('abort', onCancel)
    await file.close()
  }
}

/**
 * CreateMultipartUpload, kept from a cancel for a moment: cut at once, S3 may still create the
 * upload, and without its UploadId nothing could abort it.
 */
export async function createUpload(s3: S3Client, input: CreateMultipartUploadCommandInput, deps: MultipartDeps): Promise<string> {
  const cutAfterGrace = new AbortController()
  const onCancel = (): void => void deps.clock.sleep(CREATE_GRACE_MS).then(() => cutAfterGrace.abort())
  deps.signal.addEventListener('abort', onCancel, { once: true })
  try {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand(input), abortable(cutAfterGrace.signal))
    if (!UploadId) throw new Error('S3 returned no UploadId for the multipart upload')
    return UploadId
  } finally {
    deps.signal.removeEventListener('abort', onCancel)
  }
}

/** Aborts the upload, and once more after a moment when parts were cut in flight; never throws (the cause is what matters). */
export async function abortUpload(s3: S3Client, loc: BundleLocation, uploadId: string, again: boolean, clock: Clock): Promise<void> {
  const abort = (): Promise<unknown> =>
    s3
      .send(
        new AbortMultipartUploadCommand({
          Bucket: loc.bucket,
          Key: loc.key,
          UploadId: uploadId,
          ExpectedBucketOwner: loc.expectedBucketOwner
        })
      )
      .catch((error: unknown) => (awsErrorName(error) === 'NoSuchUpload' ? undefined : error))
  await abort()
  if (!again) return
  await clock.sleep(SECOND_ABORT_AFTER_MS)
  await abort()
}
