import { GetBucketVersioningCommand } from '@aws-sdk/client-s3'
import { ActionError, awsErrorName } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import { isAccessDenied } from '../aws/service-errors.js'
import type { Bundle } from '../bundle/write-bundle.js'
import { explainS3Error, type ExistingObject, type S3Deps } from './existing-object.js'
import { crc32Base64, s3Uri, type BundleLocation, type BundleMatch } from './location.js'

/** Enabled: every write is a new version, so nothing a deployment pinned is replaced. */
export type Versioning = 'Enabled' | 'Suspended' | 'Off' | 'unreadable'

/** GetBucketVersioning; asked only when an object with other bytes is already at the key. */
export async function bucketVersioning(loc: BundleLocation, deps: S3Deps): Promise<Versioning> {
  try {
    const out = await deps.clients.s3.send(
      new GetBucketVersioningCommand({ Bucket: loc.bucket, ExpectedBucketOwner: loc.expectedBucketOwner }),
      abortable(deps.signal)
    )
    return out.Status === 'Enabled' || out.Status === 'Suspended' ? out.Status : 'Off'
  } catch (error) {
    // Without s3:GetBucketVersioning nothing is known: act as for an unversioned bucket, and say so.
    if (isAccessDenied(error) && !loc.expectedBucketOwner) return 'unreadable'
    throw explainS3Error(error, `reading the versioning of bucket ${loc.bucket}`, 's3:GetBucketVersioning', loc)
  }
}

/** S3's answers to a write with `If-None-Match: *` that found (or raced) an object at the key. */
export function isConditionFailure(error: unknown): boolean {
  const name = awsErrorName(error)
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412 || status === 409
}

/** The same bytes, as far as S3's record of them tells: how it tells, or undefined when they differ (or it cannot tell). */
export function sameBytes(existing: Pick<ExistingObject, 'revision' | 'fullCrc32'>, bundle: Bundle): BundleMatch | undefined {
  if (existing.revision.size !== bundle.size) return undefined
  if (existing.revision.sha256) return existing.revision.sha256 === bundle.sha256 ? 'sha256' : undefined
  // Uploaded while packaging, before its sha256 was known: S3's full-object CRC-32 of the same size.
  const crc = existing.fullCrc32 !== undefined && bundle.crc32 !== undefined && existing.fullCrc32 === crc32Base64(bundle.crc32)
  return crc ? 'crc32' : undefined
}

/**
 * The object at the key holds other bytes and the bucket keeps no versions: writing would replace
 * what deployments may be pinned to by eTag (an automatic rollback or an Auto Scaling scale-out
 * fetches it again, and fails at DownloadBundle). Refused, never replaced.
 */
export function replaceRefusal(existing: ExistingObject, bundle: Bundle, loc: BundleLocation, versioning: Versioning): ActionError {
  const theirs = existing.revision.sha256
    ? `sha256 ${existing.revision.sha256}`
    : existing.fullCrc32
      ? `CRC-32 ${existing.fullCrc32}, uploaded while packaging`
      : 'sha256 unknown: no x-amz-meta-sha256, not uploaded by this action'
  const when = existing.lastModified ? `, written ${existing.lastModified.toISOString()}` : ''
  const state =
    versioning === 'Suspended'
      ? 'has versioning suspended'
      : versioning === 'unreadable'
        ? 'may not be versioned (s3:GetBucketVersioning was denied)'
        : 'is not versioned'
  return new ActionError(
    `${s3Uri(loc)} already holds another bundle for this commit (${theirs}${when}) than this run built (sha256 ${bundle.sha256}), ` +
      `and bucket ${loc.bucket} ${state}: uploading would replace an object that deployments may be pinned to by its eTag ` +
      `${existing.revision.eTag} (automatic rollbacks and Auto Scaling scale-outs download it again, and would fail at DownloadBundle). ` +
      'Nothing was uploaded.',
    {
      fix:
        'make the build reproducible, so a re-run for a commit gives the same bytes (the bundle is stamped with the commit time; ' +
        'look for files a build step writes differently on each run); or enable versioning on the bucket (each version stays ' +
        'pinned, and a new one is written); or deploy the bundle already there with `upload: never`; or use another ' +
        's3-key-prefix. Delete the object by hand only if no deployment used it.',
      code: 'BundleChanged'
    }
  )
}
