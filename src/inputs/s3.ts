import { ActionError } from '../core/errors.js'
import type { InputReader } from './reader.js'

/** The S3 side of the inputs: where bundles live, checked before any request is made. */

export function readBucket(input: InputReader): string {
  const bucket = input('s3-bucket')
  if (!bucket) {
    throw new ActionError('is required and was not set.', {
      input: 's3-bucket',
      fix:
        'set it to the S3 bucket that holds the bundles, e.g. `s3-bucket: my-deploy-bundles` (ECS and Lambda deployments upload ' +
        'nothing: they set `appspec` to their AppSpec file instead).'
    })
  }
  const valid = (isCurrentName(bucket) || LEGACY_NAME.test(bucket)) && !bucket.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(bucket)
  if (!valid) {
    throw new ActionError(`'${bucket}' is not a valid S3 bucket name.`, {
      input: 's3-bucket',
      fix: 'use the bucket name alone (3-63 lowercase letters, digits, dots and hyphens), not an s3:// URI or ARN.'
    })
  }
  return bucket
}

/** Today's rule for every new bucket. */
function isCurrentName(bucket: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)
}

/** Buckets made in us-east-1 before March 1, 2018 may have upper case and underscores, up to 255 characters. */
const LEGACY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/

/** The warning for a legacy bucket name (accepted: such buckets exist and still work), or undefined. */
export function legacyBucketNote(bucket: string): string | undefined {
  if (isCurrentName(bucket) || !LEGACY_NAME.test(bucket)) return undefined
  return (
    `s3-bucket '${bucket}' is a legacy bucket name (upper case, underscores or over 63 characters), which only buckets made in ` +
    `us-east-1 before March 1, 2018 can have: it is used as given, and the SDK addresses it path-style. If the bucket is not found, ` +
    `check the name's case.`
  )
}

export function readKeyPrefix(input: InputReader): string {
  const prefix = input('s3-key-prefix')
  if (prefix.startsWith('/') || prefix.split('/').includes('..') || /[\p{Cc}\\]/u.test(prefix)) {
    throw new ActionError(`'${prefix}' is not a usable key prefix.`, {
      input: 's3-key-prefix',
      fix: 'use a relative prefix without a leading /, "..", backslashes or control characters, e.g. `s3-key-prefix: my-app/`.'
    })
  }
  return prefix
}

export function readBucketOwner(input: InputReader): string | undefined {
  const owner = input('expected-bucket-owner')
  if (!owner) return undefined
  if (!/^\d{12}$/.test(owner)) {
    throw new ActionError(`'${owner}' is not an AWS account id.`, { input: 'expected-bucket-owner', fix: 'use the 12-digit account id.' })
  }
  return owner
}
