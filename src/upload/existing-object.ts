import { HeadObjectCommand } from '@aws-sdk/client-s3'
import type { StageDeps } from '../core/deps.js'
import { ActionError, awsErrorName } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import { explainAwsError, isAccessDenied } from '../aws/service-errors.js'
import { s3Uri, SHA256_METADATA, type BundleLocation, type UploadedRevision } from './location.js'
import { assertReadable, restoredUntil, type StorageState } from './storage-class.js'

/** Reading S3 needs the client and the cancel signal, nothing else of the run. */
export type S3Deps = Pick<StageDeps, 'clients' | 'signal'>

/** The object already at the key: what a deployment would get, and where S3 keeps it. */
export interface ExistingObject {
  revision: UploadedRevision
  storage: StorageState
  lastModified: Date | undefined
  /** The full-object CRC-32 S3 keeps (base64), when the object was written with one (an upload while packaging). */
  fullCrc32: string | undefined
}

/**
 * The object at the location for a deployment (redeploys, `upload: never`), or undefined when
 * there is none. An archived object is refused: no instance could download it.
 */
export async function findExisting(loc: BundleLocation, deps: S3Deps): Promise<UploadedRevision | undefined> {
  return (await findExistingObject(loc, deps))?.revision
}

/** As findExisting, with what S3 keeps of the object besides (its full-object CRC-32: check compares a bundle as deploy does). */
export async function findExistingObject(loc: BundleLocation, deps: S3Deps): Promise<ExistingObject | undefined> {
  const found = await headBundle(loc, deps)
  if (found) assertReadable(found.storage, loc, found.revision.version)
  return found
}

/** HeadObject: the object at the location as it is, or undefined when there is none. */
export async function headBundle(loc: BundleLocation, deps: S3Deps): Promise<ExistingObject | undefined> {
  try {
    const head = await deps.clients.s3.send(
      new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key, ExpectedBucketOwner: loc.expectedBucketOwner }),
      abortable(deps.signal)
    )
    const sha256 = head.Metadata?.[SHA256_METADATA]
    // A multipart object without sha256 metadata may have been uploaded while packaging: its checksum tells.
    const fullCrc32 = !sha256 && unquote(head.ETag).includes('-') ? await fullObjectCrc32(loc, deps) : undefined
    const storage = { storageClass: head.StorageClass, restore: head.Restore, archiveStatus: head.ArchiveStatus }
    const until = restoredUntil(storage)
    return {
      revision: {
        bucket: loc.bucket,
        key: loc.key,
        bundleType: loc.bundleType,
        eTag: unquote(head.ETag),
        version: head.VersionId,
        sha256,
        size: head.ContentLength ?? 0,
        uploaded: false,
        ...(until ? { restoredUntil: until } : {})
      },
      storage,
      lastModified: head.LastModified,
      fullCrc32
    }
  } catch (error) {
    const name = awsErrorName(error)
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
    if (name === 'NotFound' || name === 'NoSuchKey' || status === 404) return undefined
    throw explainS3Error(
      error,
      `looking for ${s3Uri(loc)}`,
      's3:GetObject (HeadObject; without s3:ListBucket, S3 answers a missing object with 403 too)',
      loc
    )
  }
}

/**
 * The object's full-object CRC-32, asked for with ChecksumMode (S3 returns it only then). Asked
 * apart from the first HEAD because, for a KMS-encrypted object, ChecksumMode also needs
 * kms:Decrypt: without it the checksum is unknown, and the run goes on as if there were none.
 */
async function fullObjectCrc32(loc: BundleLocation, deps: S3Deps): Promise<string | undefined> {
  const head = await deps.clients.s3
    .send(
      new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key, ExpectedBucketOwner: loc.expectedBucketOwner, ChecksumMode: 'ENABLED' }),
      abortable(deps.signal)
    )
    .catch((error: unknown) => {
      if (isAccessDenied(error)) return undefined
      throw error
    })
  // A composite checksum ("...-N") covers the parts, not the bytes: it cannot be compared.
  return head?.ChecksumType === 'FULL_OBJECT' && head.ChecksumCRC32 && !head.ChecksumCRC32.includes('-') ? head.ChecksumCRC32 : undefined
}

/** `upload: never` and redeploys: the object must already be there. */
export async function requireExisting(loc: BundleLocation, deps: S3Deps): Promise<UploadedRevision> {
  const existing = await findExisting(loc, deps)
  if (!existing) {
    throw new ActionError(`is never, but there is no bundle at ${s3Uri(loc)}.`, {
      input: 'upload',
      fix: 'check sha, s3-bucket and s3-key-prefix, or run once with `upload: auto` for that commit to build and upload its bundle.'
    })
  }
  return existing
}

export function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '')
}

export /** An S3 error as the user should read it; a refusal under expected-bucket-owner says so. */
function explainS3Error(error: unknown, doing: string, permission: string, loc: BundleLocation): ActionError {
  const explained = explainAwsError(error, doing, permission, `arn:aws:s3:::${loc.bucket}/${loc.key}`)
  if (!loc.expectedBucketOwner || !isAccessDenied(error)) return explained
  return new ActionError(`${explained.message} S3 also answers so when the bucket is not owned by account ${loc.expectedBucketOwner}.`, {
    input: 'expected-bucket-owner',
    fix:
      `check that ${loc.bucket} belongs to ` +
      `account ${loc.expectedBucketOwner} (expected-bucket-owner), and ${explained.fix ?? 'that the role may write to it.'}`,
    code: explained.code ?? 'AccessDenied',
    cause: error
  })
}
