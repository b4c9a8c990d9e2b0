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
  const valid = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(bucket)
  if (!valid) {
    throw new ActionError(`'${bucket}' is not a valid S3 bucket name.`, {
      input: 's3-bucket',
      fix: 'use the bucket name alone (3-63 lowercase letters, digits, dots and hyphens), not an s3:// URI or ARN.'
    })
  }
  return bucket
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
