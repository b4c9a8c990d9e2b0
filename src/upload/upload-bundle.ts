import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client
} from '@aws-sdk/client-s3'
import type { UploadMode } from '../core/domain.js'
import { ActionError } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import { isAccessDenied } from '../aws/service-errors.js'
import type { Bundle } from '../bundle/write-bundle.js'
import { explainS3Error, findExisting, unquote, type S3Deps } from './existing-object.js'
import { s3Uri, SHA256_METADATA, type BundleLocation, type UploadedRevision } from './location.js'

export interface UploadOptions {
  /** Bundles larger than this go up in parts. */
  multipartThreshold?: number
  partSize?: number
  /** Parts in flight at once; memory is this many part buffers, reused. */
  concurrency?: number
}

/** What the part writers share: the sizes, and the cancel signal. */
type PutOptions = UploadOptions & { signal: AbortSignal }

const MAX_PARTS = 10_000
const MIN_PART = 5 << 20
export const DEFAULT_MULTIPART_THRESHOLD = 16 << 20
export const DEFAULT_PART_SIZE = 8 << 20

/**
 * Puts the bundle at the location unless `mode` is auto and the same bytes (by sha256) are
 * already there. Bodies are buffers, so the SDK can retry a throttled, failed or dropped request
 * (it never retries a streamed one); big bundles go up in parts, a few at a time, through a
 * fixed set of part buffers, so memory does not grow with the bundle.
 */
export async function uploadBundle(
  bundle: Bundle,
  loc: BundleLocation,
  mode: UploadMode,
  deps: S3Deps,
  sizes: UploadOptions = {}
): Promise<UploadedRevision> {
  const s3 = deps.clients.s3
  const options: PutOptions = { ...sizes, signal: deps.signal }
  if (mode === 'auto') {
    const existing = await findExisting(loc, deps).catch((error: unknown) => {
      // Without s3:ListBucket, S3 answers a missing key with 403: nothing can be learnt, so
      // upload. Under expected-bucket-owner the same 403 may mean another account's bucket:
      // stop there, before writing anything.
      if (error instanceof ActionError && isAccessDenied(error.cause) && !loc.expectedBucketOwner) return undefined
      throw error
    })
    if (existing && existing.sha256 === bundle.sha256 && existing.size === bundle.size) return existing
  }
  const threshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD
  try {
    const written =
      bundle.size > threshold ? await putMultipart(s3, bundle, loc, options) : await putSingle(s3, bundle, loc, options.signal)
    return {
      bucket: loc.bucket,
      key: loc.key,
      bundleType: loc.bundleType,
      ...written,
      sha256: bundle.sha256,
      size: bundle.size,
      uploaded: true
    }
  } catch (error) {
    throw explainS3Error(error, `uploading the bundle to ${s3Uri(loc)}`, 's3:PutObject', loc)
  }
}

function objectParams(bundle: Bundle, loc: BundleLocation) {
  return {
    Bucket: loc.bucket,
    Key: loc.key,
    ContentType: bundle.type === 'zip' ? 'application/zip' : 'application/gzip',
    Metadata: { [SHA256_METADATA]: bundle.sha256 },
    ServerSideEncryption: loc.sse,
    SSEKMSKeyId: loc.kmsKeyId,
    ExpectedBucketOwner: loc.expectedBucketOwner
  }
}

async function putSingle(
  s3: S3Client,
  bundle: Bundle,
  loc: BundleLocation,
  signal: AbortSignal
): Promise<{ eTag: string; version: string | undefined }> {
  const body = await fs.promises.readFile(bundle.file)
  if (body.length !== bundle.size) throw new Error(`${bundle.file} changed after it was written`)
  const out = await s3.send(
    new PutObjectCommand({
      ...objectParams(bundle, loc),
      Body: body,
      ContentLength: bundle.size,
      // S3 checks the bytes it received against this before storing them.
      ChecksumSHA256: Buffer.from(bundle.sha256, 'hex').toString('base64')
    }),
    abortable(signal)
  )
  return { eTag: unquote(out.ETag), version: out.VersionId }
}

async function putMultipart(
  s3: S3Client,
  bundle: Bundle,
  loc: BundleLocation,
  options: PutOptions
): Promise<{ eTag: string; version: string | undefined }> {
  const partSize = Math.max(options.partSize ?? DEFAULT_PART_SIZE, MIN_PART, Math.ceil(bundle.size / MAX_PARTS))
  const count = Math.ceil(bundle.size / partSize)
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand(objectParams(bundle, loc)), abortable(options.signal))
  if (!UploadId) throw new Error('S3 returned no UploadId for the multipart upload')
  const file = await fs.promises.open(bundle.file, 'r')
  // One part failing stops the others: their requests are cut, and awaited, before the abort.
  const stop = new AbortController()
  const onCancel = (): void => stop.abort()
  options.signal.addEventListener('abort', onCancel, { once: true })
  if (options.signal.aborted) stop.abort()
  try {
    const etags: string[] = new Array<string>(count)
    let next = 0
    const worker = async (): Promise<void> => {
      const buffer = Buffer.allocUnsafeSlow(partSize)
      while (next < count && !stop.signal.aborted) {
        const index = next++
        const start = index * partSize
        const length = Math.min(partSize, bundle.size - start)
        const { bytesRead } = await file.read(buffer, 0, length, start)
        if (bytesRead !== length) throw new Error(`${bundle.file} changed after it was written`)
        const body = buffer.subarray(0, length)
        const out = await s3.send(
          new UploadPartCommand({
            Bucket: loc.bucket,
            Key: loc.key,
            UploadId,
            PartNumber: index + 1,
            Body: body,
            ContentLength: length,
            // S3 refuses a part whose bytes do not match (BadDigest), so a bad part never lands.
            ContentMD5: crypto.createHash('md5').update(body).digest('base64'),
            ExpectedBucketOwner: loc.expectedBucketOwner
          }),
          abortable(stop.signal)
        )
        etags[index] = out.ETag ?? ''
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
    if (options.signal.aborted) throw new Error('the upload was cancelled')
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: loc.bucket,
        Key: loc.key,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        ExpectedBucketOwner: loc.expectedBucketOwner
      }),
      abortable(options.signal)
    )
    return { eTag: unquote(done.ETag), version: done.VersionId }
  } catch (error) {
    // Never leave parts behind (they are billed and invisible): abort, then report the cause.
    await s3
      .send(new AbortMultipartUploadCommand({ Bucket: loc.bucket, Key: loc.key, UploadId, ExpectedBucketOwner: loc.expectedBucketOwner }))
      .catch(() => undefined)
    throw error
  } finally {
    options.signal.removeEventListener('abort', onCancel)
    await file.close()
  }
}
