import type { BundleType, ServerSideEncryption } from '../core/domain.js'
import type { Settings } from '../inputs/settings.js'

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
  /** Not uploaded, as the object at the key holds these bytes: known by its sha256 metadata, or (uploaded while packaging) by S3's full-object CRC-32 and size. */
  matchedBy?: BundleMatch
  /** A restored copy of an archived object: readable until then, archived again after. */
  restoredUntil?: Date
}

/** How an object was found to hold a bundle's bytes (see sameBytes). */
export type BundleMatch = 'sha256' | 'crc32'

/** The words for it in a log line: "(same sha256)". */
export function matchText(by: BundleMatch): string {
  return by === 'sha256' ? 'same sha256' : 'same size and full-object CRC-32'
}

/** Object metadata key holding the bundle's sha256 (x-amz-meta-sha256). */
export const SHA256_METADATA = 'sha256'

/** A CRC-32 as S3 writes it in x-amz-checksum-crc32: the 4 bytes, big-endian, in base64. */
export function crc32Base64(crc: number): string {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32BE(crc >>> 0)
  return bytes.toString('base64')
}

export function bundleKey(prefix: string, sha: string, type: BundleType): string {
  return `${prefix}${sha}.${type}`
}

export function s3Uri(location: { bucket: string; key: string }): string {
  return `s3://${location.bucket}/${location.key}`
}

/** Where the settings put the bundle: `s3-key` as it is, else `<prefix><sha>.<ext>`. */
export function bundleLocation(s: Settings): BundleLocation {
  return {
    bucket: s.s3Bucket,
    key: s.s3Key ?? bundleKey(s.s3KeyPrefix, s.sha, s.bundleType),
    bundleType: s.bundleType,
    sse: s.s3Sse,
    kmsKeyId: s.s3KmsKeyId,
    expectedBucketOwner: s.expectedBucketOwner
  }
}
