/**
 * The local S3 (s3rver with the test bed's fixes) and a client configured as the action
 * configures its own, started fresh for each test of the file that calls useLocalS3().
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import { sha256File, type Bundle } from '../../../src/bundle/write-bundle.js'
import { ActionError } from '../../../src/core/errors.js'
import type { BundleLocation } from '../../../src/upload/location.js'
import { TempDirs } from '../../helpers/tree.js'

const { startS3, S3_CREDENTIALS, REGION } = await import('../../../testbed/s3/server.mjs')
export type LocalS3 = Awaited<ReturnType<typeof startS3>>

export const MB = 1 << 20
export const BUCKET = 'bundles'
export const KEY = 'app/abc.zip'

export interface S3Bed {
  readonly s3: LocalS3
  readonly client: S3Client
  bundleOf(bytes: Buffer): Promise<Bundle>
  /** How many requests for `operation` the server received. */
  ops(operation: string): number
}

export function useLocalS3(): S3Bed {
  const temp = new TempDirs()
  let s3: LocalS3 | undefined
  let client: S3Client | undefined
  beforeEach(async () => {
    s3 = await startS3({ directory: temp.make('cda-s3-') })
    await s3.createBucket(BUCKET)
    client = new S3Client({
      region: REGION,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { ...S3_CREDENTIALS },
      maxAttempts: 5,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED'
    })
  })
  afterEach(async () => {
    client?.destroy()
    await s3?.stop()
    temp.cleanup()
  })
  return {
    get s3(): LocalS3 {
      return s3!
    },
    get client(): S3Client {
      return client!
    },
    async bundleOf(bytes: Buffer): Promise<Bundle> {
      const file = path.join(temp.make(), 'bundle.zip')
      fs.writeFileSync(file, bytes)
      return { file, type: 'zip', size: bytes.length, sha256: await sha256File(file, new AbortController().signal), entries: 1 }
    },
    ops: operation => s3!.requests.filter(r => r.operation === operation).length
  }
}

export function location(extra: Partial<BundleLocation> = {}): BundleLocation {
  return { bucket: BUCKET, key: KEY, bundleType: 'zip', sse: undefined, kmsKeyId: undefined, expectedBucketOwner: undefined, ...extra }
}

/** The ActionError `promise` rejects with (fails the test if it resolves or throws anything else). */
export async function failure(promise: Promise<unknown>): Promise<ActionError> {
  const error: unknown = await promise.then(
    () => new Error('expected an ActionError'),
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}
