import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client
} from '@aws-sdk/client-s3'
import type { Bundle } from '../bundle/write-bundle.js'
import { abortable } from '../aws/clients.js'
import { ActionError, awsErrorName } from '../core/errors.js'
import { explainAwsError, isAccessDenied } from '../aws/service-errors.js'
import type { BundleType, ServerSideEncryption, UploadMode } from '../core/domain.js'

/** Where the bundle lives in S3 and how it is written there. */
export interface BundleLocation {
  bucket: string
  key: string
  bundleType: BundleType
  sse: ServerSideEncryption | undefined
  kmsKeyId: string | undefined
  expectedBucketOwner: string | undefined
}

/** The object CreateDeployment points at: exactly these bytes, by eTag and version. */
export interface UploadedRevision {
  bucket: string
  key: string
  bundleType: BundleType
  /** Without the quotes S3 puts around it. */
  eTag: string
  version: string | undefined
  sha256: string | undefined
  size: number
  uploaded: boolean
}

export interface UploadOptions {
  /** Bundles larger than this go up in parts. */
  multipartThreshold?: number
  partSize?: number
  /** Parts in flight at once; memory is this many part buffers, reused. */
  concurrency?: number
  signal?: AbortSignal
}

/** Object metadata key holding the bundle's sha256 (x-amz-meta-sha256). */
export const SHA256_METADATA = 'sha256'
const MAX_PARTS = 10_000
const MIN_PART = 5 << 20
export const DEFAULT_MULTIPART_THRESHOLD = 16 << 20
export const DEFAULT_PART_SIZE = 8 << 20

export function bundleKey(prefix: string, sha: string, type: BundleType): string {
  return `${prefix}${sha}.${type}`
}

export function s3Uri(location: { bucket: string; key: string }): string {
  return `s3://${location.bucket}/${location.key}`
}

/** HeadObject: the object at the location, or undefined when there is none. */
export async function findExisting(s3: S3Client, loc: BundleLocation, signal?: AbortSignal): Promise<UploadedRevision | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key, ExpectedBucketOwner: loc.expectedBucketOwner }), abortable(signal))
    return {
      bucket: loc.bucket,
      key: loc.key,
      bundleType: loc.bundleType,
      eTag: unquote(head.ETag),
      version: head.VersionId,
      sha256: head.Metadata?.[SHA256_METADATA],
      size: head.ContentLength ?? 0,
      uploaded: false
    }
  } catch (error) {
    const name = awsErrorName(error)
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
    if (name === 'NotFound' || name === 'NoSuchKey' || status === 404) return undefined
    throw explainS3Error(error, `looking for ${s3Uri(loc)}`, 's3:GetObject (HeadObject; without s3:ListBucket, S3 answers a missing object with 403 too)', loc)
  }
}

/**
 * Puts the bundle at the location unless `mode` is auto and the same bytes (by sha256) are
 * already there. Bodies are buffers, so the SDK can retry a throttled, failed or dropped request
 * (it never retries a streamed one); big bundles go up in parts, a few at a time, through a
 * fixed set of part buffers, so memory does not grow with the bundle.
 */
export async function uploadBundle(s3: S3Client, bundle: Bundle, loc: BundleLocation, mode: UploadMode, options: UploadOptions = {}): Promise<UploadedRevision> {
  if (mode === 'auto') {
    const existing = await findExisting(s3, loc, options.signal).catch((error: unknown) => {
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
    const written = bundle.size > threshold ? await putMultipart(s3, bundle, loc, options) : await putSingle(s3, bundle, loc, options.signal)
    return { bucket: loc.bucket, key: loc.key, bundleType: loc.bundleType, ...written, sha256: bundle.sha256, size: bundle.size, uploaded: true }
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

async function putSingle(s3: S3Client, bundle: Bundle, loc: BundleLocation, signal?: AbortSignal): Promise<{ eTag: string; version: string | undefined }> {
  const body = await fs.promises.readFile(bundle.file)
  if (body.length !== bundle.size) throw new Error(`${bundle.file} changed after it was written`)
  const out = await s3.send(new PutObjectCommand({
    ...objectParams(bundle, loc),
    Body: body,
    ContentLength: bundle.size,
    // S3 checks the bytes it received against this before storing them.
    ChecksumSHA256: Buffer.from(bundle.sha256, 'hex').toString('base64')
  }), abortable(signal))
  return { eTag: unquote(out.ETag), version: out.VersionId }
}

async function putMultipart(s3: S3Client, bundle: Bundle, loc: BundleLocation, options: UploadOptions): Promise<{ eTag: string; version: string | undefined }> {
  const partSize = Math.max(options.partSize ?? DEFAULT_PART_SIZE, MIN_PART, Math.ceil(bundle.size / MAX_PARTS))
  const count = Math.ceil(bundle.size / partSize)
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand(objectParams(bundle, loc)), abortable(options.signal))
  if (!UploadId) throw new Error('S3 returned no UploadId for the multipart upload')
  const file = await fs.promises.open(bundle.file, 'r')
  // One part failing stops the others: their requests are cut, and awaited, before the abort.
  const stop = new AbortController()
  const onCancel = (): void => stop.abort()
  options.signal?.addEventListener('abort', onCancel, { once: true })
  if (options.signal?.aborted) stop.abort()
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
        const out = await s3.send(new UploadPartCommand({
          Bucket: loc.bucket,
          Key: loc.key,
          UploadId,
          PartNumber: index + 1,
          Body: body,
          ContentLength: length,
          // S3 refuses a part whose bytes do not match (BadDigest), so a bad part never lands.
          ContentMD5: crypto.createHash('md5').update(body).digest('base64'),
          ExpectedBucketOwner: loc.expectedBucketOwner
        }), abortable(stop.signal))
        etags[index] = out.ETag ?? ''
      }
    }
    // The first failure is the cause; the others are the workers it cut off.
    let cause: { error: unknown } | undefined
    await Promise.allSettled(Array.from({ length: Math.min(options.concurrency ?? 4, count) }, () => worker().catch(error => {
      cause ??= { error }
      stop.abort()
    })))
    if (cause) throw cause.error
    if (options.signal?.aborted) throw new Error('the upload was cancelled')
    const done = await s3.send(new CompleteMultipartUploadCommand({
      Bucket: loc.bucket,
      Key: loc.key,
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      ExpectedBucketOwner: loc.expectedBucketOwner
    }), abortable(options.signal))
    return { eTag: unquote(done.ETag), version: done.VersionId }
  } catch (error) {
    // Never leave parts behind (they are billed and invisible): abort, then report the cause.
    await s3.send(new AbortMultipartUploadCommand({ Bucket: loc.bucket, Key: loc.key, UploadId, ExpectedBucketOwner: loc.expectedBucketOwner })).catch(() => undefined)
    throw error
  } finally {
    options.signal?.removeEventListener('abort', onCancel)
    await file.close()
  }
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '')
}

/** An S3 error as the user should read it; a refusal under expected-bucket-owner says so. */
function explainS3Error(error: unknown, doing: string, permission: string, loc: BundleLocation): ActionError {
  const explained = explainAwsError(error, doing, permission, `arn:aws:s3:::${loc.bucket}/${loc.key}`)
  if (!loc.expectedBucketOwner || !isAccessDenied(error)) return explained
  return new ActionError(`${explained.message} S3 also answers so when the bucket is not owned by account ${loc.expectedBucketOwner}.`, {
    input: 'expected-bucket-owner',
    fix: `check that ${loc.bucket} belongs to account ${loc.expectedBucketOwner} (expected-bucket-owner), and ${explained.fix ?? 'that the role may write to it.'}`,
    code: explained.code ?? 'AccessDenied',
    cause: error
  })
}

/** `upload: never` and redeploys: the object must already be there. */
export async function requireExisting(s3: S3Client, loc: BundleLocation, signal?: AbortSignal): Promise<UploadedRevision> {
  const existing = await findExisting(s3, loc, signal)
  if (!existing) {
    throw new ActionError(`is never, but there is no bundle at ${s3Uri(loc)}.`, {
      input: 'upload',
      fix: 'check sha, s3-bucket and s3-key-prefix, or run once with `upload: auto` for that commit to build and upload its bundle.'
    })
  }
  return existing
}
