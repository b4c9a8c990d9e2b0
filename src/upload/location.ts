import type { BundleType, ServerSideEncryption } from '../core/domain.js'

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

/** Object metadata key holding the bundle's sha256 (x-amz-meta-sha256). */
export const SHA256_METADATA = 'sha256'

export function bundleKey(prefix: string, sha: string, type: BundleType): string {
  return `${prefix}${sha}.${type}`
}

export function s3Uri(location: { bucket: string; key: string }): string {
  return `s3://${location.bucket}/${location.key}`
}
