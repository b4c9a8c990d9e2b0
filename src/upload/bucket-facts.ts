import { GetBucketLocationCommand, GetBucketVersioningCommand } from '@aws-sdk/client-s3'
import { describeError } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import type { S3Deps } from './existing-object.js'

/** What `command: check` reports about the bucket: read-only calls, each allowed to fail on its own. */
export interface BucketFacts {
  /** The bucket's region, or why it could not be read. */
  region: string
  /** Enabled, Suspended, or never enabled; or why it could not be read. */
  versioning: string
}

export async function bucketFacts(bucket: string, expectedBucketOwner: string | undefined, deps: S3Deps): Promise<BucketFacts> {
  const s3 = deps.clients.s3
  const region = await s3
    .send(new GetBucketLocationCommand({ Bucket: bucket, ExpectedBucketOwner: expectedBucketOwner }), abortable(deps.signal))
    // S3 answers us-east-1 with an empty LocationConstraint.
    .then(out => out.LocationConstraint || 'us-east-1')
    .catch((error: unknown) => `unknown (GetBucketLocation: ${describeError(error)}; needs s3:GetBucketLocation)`)
  const versioning = await s3
    .send(new GetBucketVersioningCommand({ Bucket: bucket, ExpectedBucketOwner: expectedBucketOwner }), abortable(deps.signal))
    .then(out => out.Status ?? 'never enabled (objects have no version ids)')
    .catch((error: unknown) => `unknown (GetBucketVersioning: ${describeError(error)}; needs s3:GetBucketVersioning)`)
  return { region, versioning }
}
