import * as fs from 'node:fs'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { StageDeps } from '../core/deps.js'
import type { UploadMode } from '../core/domain.js'
import { ActionError } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import { isAccessDenied } from '../aws/service-errors.js'
import type { Bundle } from '../bundle/write-bundle.js'
import { explainS3Error, headBundle, unquote, type ExistingObject, type S3Deps } from './existing-object.js'
import { s3Uri, SHA256_METADATA, type BundleLocation, type UploadedRevision } from './location.js'
import { putMultipart, type PartOptions, type Written } from './multipart.js'
import { bucketVersioning, isConditionFailure, replaceRefusal, sameBytes } from './no-overwrite.js'
import { assertReadable } from './storage-class.js'

export { DEFAULT_PART_SIZE } from './multipart.js'

export interface UploadOptions extends PartOptions {
  /** Bundles larger than this go up in parts. */
  multipartThreshold?: number
}

/** Uploading reads S3 and may wait a moment (a second abort of a multipart upload). */
export type UploadDeps = S3Deps & Pick<StageDeps, 'clock'>

export const DEFAULT_MULTIPART_THRESHOLD = 16 << 20

const CONTENT_TYPES: Record<Bundle['type'], string> = { zip: 'application/zip', tar: 'application/x-tar', tgz: 'application/gzip' }

/**
 * Puts the bundle at the location unless `mode` is auto and the same bytes (by sha256, or by
 * S3's full-object CRC-32 for an object uploaded while packaging) are already there. Never replaces an object a deployment may have used (deployments pin it by
 * eTag): writes carry `If-None-Match: *`, so of two racing runs one wins and the other finds the
 * winner's object; other bytes at the key are written as a new version in a versioned bucket and
 * refused in any other. Bodies are buffers, so the SDK can retry a throttled, failed or dropped
 * request; big bundles go up in parts through a fixed set of buffers (see multipart.ts).
 */
export async function uploadBundle(
  bundle: Bundle,
  loc: BundleLocation,
  mode: UploadMode,
  deps: UploadDeps,
  sizes: UploadOptions = {},
  /** What a HEAD made just before found at the key (upload while packaging made it): not asked again. */
  known?: { existing: ExistingObject | undefined }
): Promise<UploadedRevision> {
  if (mode === 'auto' || known) {
    const existing = known ? known.existing : await headBeforeWriting(loc, deps)
    if (existing) return settle(existing, bundle, loc, deps, sizes, mode)
  }
  // A second try only when a concurrent multipart upload won a race and then left nothing (409).
  for (let attempt = 1; ; attempt++) {
    try {
      return uploadedRevision(bundle, loc, await write(bundle, loc, true, deps, sizes))
    } catch (error) {
      if (!isConditionFailure(error)) throw explainS3Error(error, `uploading the bundle to ${s3Uri(loc)}`, 's3:PutObject', loc)
      const winner = await headBundle(loc, deps)
      if (winner) return settle(winner, bundle, loc, deps, sizes, mode)
      if (attempt === 2) throw explainS3Error(error, `uploading the bundle to ${s3Uri(loc)}`, 's3:PutObject', loc)
    }
  }
}

/** HeadObject before a write: undefined when the key is free, or when nothing can be learnt (then the write is conditional). */
export async function headBeforeWriting(loc: BundleLocation, deps: S3Deps): Promise<ExistingObject | undefined> {
  return headBundle(loc, deps).catch((error: unknown) => {
    // Without s3:ListBucket, S3 answers a missing key with 403: nothing can be learnt, so
    // upload (conditionally). Under expected-bucket-owner the same 403 may mean another
    // account's bucket: stop there, before writing anything.
    if (error instanceof ActionError && isAccessDenied(error.cause) && !loc.expectedBucketOwner) return undefined
    throw error
  })
}

/**
 * An object is at the key: the same bytes are reused (if S3 can serve them); other bytes become
 * a new version in a versioned bucket, and are refused in any other. `always` in a versioned
 * bucket writes a new version whatever is there.
 */
async function settle(
  existing: ExistingObject,
  bundle: Bundle,
  loc: BundleLocation,
  deps: UploadDeps,
  sizes: UploadOptions,
  mode: UploadMode
): Promise<UploadedRevision> {
  const same = sameBytes(existing, bundle)
  const versioning = same && mode !== 'always' ? undefined : await bucketVersioning(loc, deps)
  if (versioning !== 'Enabled') {
    if (!same) throw replaceRefusal(existing, bundle, loc, versioning ?? 'Off')
    assertReadable(existing.storage, loc, existing.revision.version)
    // An object uploaded while packaging has no sha256 metadata: its bytes are this bundle's.
    return { ...existing.revision, sha256: existing.revision.sha256 ?? bundle.sha256, matchedBy: same }
  }
  try {
    return uploadedRevision(bundle, loc, await write(bundle, loc, false, deps, sizes))
  } catch (error) {
    throw explainS3Error(error, `uploading the bundle to ${s3Uri(loc)}`, 's3:PutObject', loc)
  }
}

/** What a write of the bundle at the location gives: the revision CodeDeploy deploys. */
export function uploadedRevision(bundle: Bundle, loc: BundleLocation, written: Written): UploadedRevision {
  return {
    bucket: loc.bucket,
    key: loc.key,
    bundleType: loc.bundleType,
    ...written,
    sha256: bundle.sha256,
    size: bundle.size,
    uploaded: true
  }
}

async function write(bundle: Bundle, loc: BundleLocation, ifNoneMatch: boolean, deps: UploadDeps, sizes: UploadOptions): Promise<Written> {
  const threshold = sizes.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD
  const s3 = deps.clients.s3
  if (bundle.size <= threshold) {
    const written = await putSingle(s3, bundle, loc, ifNoneMatch, deps.signal)
    sizes.onProgress?.(bundle.size)
    return written
  }
  return putMultipart(bundle, loc, objectParams(bundle, loc), ifNoneMatch, sizes, { s3, signal: deps.signal, clock: deps.clock })
}

function objectParams(bundle: Bundle, loc: BundleLocation) {
  return { ...streamParams(bundle.type, loc), Metadata: { [SHA256_METADATA]: bundle.sha256 } }
}

/** How a bundle is stored, before its sha256 is known (an upload while packaging). */
export function streamParams(type: Bundle['type'], loc: BundleLocation) {
  return {
    ContentType: CONTENT_TYPES[type],
    ServerSideEncryption: loc.sse,
    SSEKMSKeyId: loc.kmsKeyId,
    ExpectedBucketOwner: loc.expectedBucketOwner
  }
}

async function putSingle(s3: S3Client, bundle: Bundle, loc: BundleLocation, ifNoneMatch: boolean, signal: AbortSignal): Promise<Written> {
  const body = await fs.promises.readFile(bundle.file)
  if (body.length !== bundle.size) throw new Error(`${bundle.file} changed after it was written`)
  const out = await s3.send(
    new PutObjectCommand({
      ...objectParams(bundle, loc),
      Bucket: loc.bucket,
      Key: loc.key,
      Body: body,
      ContentLength: bundle.size,
      // S3 checks the bytes it received against this before storing them.
      ChecksumSHA256: Buffer.from(bundle.sha256, 'hex').toString('base64'),
      ...(ifNoneMatch ? { IfNoneMatch: '*' } : {})
    }),
    abortable(signal)
  )
  return { eTag: unquote(out.ETag), version: out.VersionId }
}
