/**
 * uploadBundle / findExisting / requireExisting against the local S3 (s3rver with the testbed's
 * fixes and fault injection), through the real SDK client configured as the action configures it.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { sha256File, type Bundle } from '../../../src/bundle/write-bundle.js'
import { ActionError } from '../../../src/core/errors.js'
import { requireExisting } from '../../../src/upload/existing-object.js'
import { uploadBundle } from '../../../src/upload/upload-bundle.js'
import { type BundleLocation, type UploadedRevision } from '../../../src/upload/location.js'
import { fakeDeps } from '../../helpers/deps.js'
import { randomBytes, TempDirs } from '../../helpers/tree.js'

const { startS3, S3_CREDENTIALS, REGION } = await import('../../../testbed/s3/server.mjs')
type LocalS3 = Awaited<ReturnType<typeof startS3>>

const MB = 1 << 20
const BUCKET = 'bundles'
const temp = new TempDirs()
let s3: LocalS3
let client: S3Client

beforeEach(async () => {
  s3 = await startS3({ directory: temp.make('cda-s3-') })
  await s3.createBucket(BUCKET)
  // As src/aws-clients.ts builds it (retries included), pointed at the local server.
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
  client.destroy()
  await s3.stop()
  temp.cleanup()
})

async function bundleOf(bytes: Buffer): Promise<Bundle> {
  const file = path.join(temp.make(), 'bundle.zip')
  fs.writeFileSync(file, bytes)
  return { file, type: 'zip', size: bytes.length, sha256: await sha256File(file, new AbortController().signal), entries: 1 }
}

function location(extra: Partial<BundleLocation> = {}): BundleLocation {
  return {
    bucket: BUCKET,
    key: 'app/abc.zip',
    bundleType: 'zip',
    sse: undefined,
    kmsKeyId: undefined,
    expectedBucketOwner: undefined,
    ...extra
  }
}

const ops = (name: string): number => s3.requests.filter(r => r.operation === name).length
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex')

async function failure(promise: Promise<unknown>): Promise<ActionError> {
  const error: unknown = await promise.then(
    () => new Error('expected an ActionError'),
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}

describe('single PUT', () => {
  test('stores the exact bytes with the sha256 in metadata, and returns the eTag', async () => {
    const bundle = await bundleOf(randomBytes(3 * MB, 1))
    const revision = await uploadBundle(bundle, location(), 'auto', fakeDeps({ s3: client }))
    const object = await s3.getObject(BUCKET, 'app/abc.zip')
    expect(object.body.equals(fs.readFileSync(bundle.file))).toBe(true)
    expect(object.metadata['sha256']).toBe(bundle.sha256)
    expect(revision).toEqual({
      bucket: BUCKET,
      key: 'app/abc.zip',
      bundleType: 'zip',
      eTag: md5(object.body),
      version: undefined,
      sha256: bundle.sha256,
      size: bundle.size,
      uploaded: true
    } satisfies UploadedRevision)
    expect([ops('PutObject'), ops('CreateMultipartUpload')]).toEqual([1, 0])
  })

  test('a dropped connection and a 500 are retried, and the object is still exact', async () => {
    const bundle = await bundleOf(randomBytes(2 * MB, 2))
    s3.injectFault({ operation: 'PutObject', kind: 'reset' })
    s3.injectFault({ operation: 'PutObject', kind: '5xx' })
    const revision = await uploadBundle(bundle, location(), 'always', fakeDeps({ s3: client }))
    expect(s3.requests.filter(r => r.operation === 'PutObject').map(r => r.fault ?? r.status)).toEqual(['reset', '5xx', 200])
    expect(md5((await s3.getObject(BUCKET, 'app/abc.zip')).body)).toBe(revision.eTag)
  })
})

describe('upload modes', () => {
  test('auto: a re-run with the same bytes finds them by sha256 and does not upload again', async () => {
    const bundle = await bundleOf(randomBytes(MB, 3))
    const first = await uploadBundle(bundle, location(), 'auto', fakeDeps({ s3: client }))
    const second = await uploadBundle(bundle, location(), 'auto', fakeDeps({ s3: client }))
    expect(second).toEqual({ ...first, uploaded: false, matchedBy: 'sha256' })
    expect(ops('PutObject')).toBe(1)
  })

  test('auto: different bytes at the key are never replaced (unversioned bucket): one refusal naming both sha256s', async () => {
    const first = await bundleOf(randomBytes(MB, 4))
    const stored = await uploadBundle(first, location(), 'auto', fakeDeps({ s3: client }))
    const other = await bundleOf(randomBytes(MB, 5))
    const error = await failure(uploadBundle(other, location(), 'auto', fakeDeps({ s3: client })))
    expect(error.code).toBe('BundleChanged')
    expect(error.describe()).toMatch(
      new RegExp(
        `^s3://bundles/app/abc\\.zip already holds another bundle for this commit \\(sha256 ${first.sha256}, written .*\\) than this run built \\(sha256 ${other.sha256}\\), and bucket bundles is not versioned: uploading would replace an object that deployments may be pinned to by its eTag ${stored.eTag} .* Fix: make the build reproducible.*or enable versioning on the bucket.*\`upload: never\`.*s3-key-prefix`
      )
    )
    expect((await s3.getObject(BUCKET, 'app/abc.zip')).metadata['sha256']).toBe(first.sha256)
    expect([ops('PutObject'), ops('GetBucketVersioning')]).toEqual([1, 1])
  })

  test('auto: an object without our sha256 metadata (uploaded by hand) is not replaced either', async () => {
    const bytes = randomBytes(MB, 6)
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'app/abc.zip', Body: bytes }))
    const error = await failure(uploadBundle(await bundleOf(bytes), location(), 'auto', fakeDeps({ s3: client })))
    expect(error.message).toMatch(/\(sha256 unknown: no x-amz-meta-sha256, not uploaded by this action, written /)
    expect(ops('PutObject')).toBe(1)
  })

  test('always: the identical bundle already there is reused, never replaced (its eTag may be pinned)', async () => {
    const bundle = await bundleOf(randomBytes(MB, 7))
    const first = await uploadBundle(bundle, location(), 'always', fakeDeps({ s3: client }))
    const again = await uploadBundle(bundle, location(), 'always', fakeDeps({ s3: client }))
    expect(again).toEqual({ ...first, uploaded: false, matchedBy: 'sha256' })
    // The second PUT is refused by its If-None-Match condition, then the object is read.
    expect(s3.requests.filter(r => r.operation === 'PutObject').map(r => r.status)).toEqual([200, 412])
    expect([ops('HeadObject'), ops('GetBucketVersioning')]).toEqual([1, 1])
  })

  test('never: the object must exist, and then it is described as it is', async () => {
    const missing = await failure(requireExisting(location(), fakeDeps({ s3: client })))
    expect(missing.describe()).toBe(
      "Input 'upload' is never, but there is no bundle at s3://bundles/app/abc.zip. Fix: check sha, s3-bucket and s3-key-prefix, or run once with `upload: auto` for that commit to build and upload its bundle."
    )
    const uploaded = await uploadBundle(await bundleOf(randomBytes(MB, 8)), location(), 'auto', fakeDeps({ s3: client }))
    expect(await requireExisting(location(), fakeDeps({ s3: client }))).toEqual({ ...uploaded, uploaded: false })
  })
})

describe('multipart', () => {
  const options = { multipartThreshold: 6 * MB, partSize: 5 * MB, concurrency: 2 }

  test('a bundle over the threshold goes up in parts, at most `concurrency` at once, each checked by MD5', async () => {
    const bytes = randomBytes(17 * MB + 5, 9)
    const bundle = await bundleOf(bytes)
    const revision = await uploadBundle(bundle, location(), 'auto', fakeDeps({ s3: client }), options)
    const object = await s3.getObject(BUCKET, 'app/abc.zip')
    expect(object.body.equals(bytes)).toBe(true)
    expect(object.metadata['sha256']).toBe(bundle.sha256)
    // S3's multipart ETag: md5 of the parts' md5s, then the part count.
    const parts = [0, 1, 2, 3].map(i => bytes.subarray(i * 5 * MB, (i + 1) * 5 * MB))
    expect(revision.eTag).toBe(
      `${createHash('md5')
        .update(Buffer.concat(parts.map(p => createHash('md5').update(p).digest())))
        .digest('hex')}-4`
    )
    expect([ops('CreateMultipartUpload'), ops('UploadPart'), ops('CompleteMultipartUpload'), ops('PutObject')]).toEqual([1, 4, 1, 0])
    const spans = s3.requests.filter(r => r.operation === 'UploadPart').map(r => [r.at, r.doneAt ?? Infinity] as const)
    const overlap = Math.max(...spans.map(([at]) => spans.filter(([a, b]) => a <= at && at < b).length))
    expect(overlap).toBeLessThanOrEqual(2)
  })

  test('a part that fails once is retried; the object is whole', async () => {
    const bytes = randomBytes(11 * MB, 10)
    s3.injectFault({ operation: 'UploadPart', kind: '5xx', status: 503 })
    s3.injectFault({ operation: 'UploadPart', kind: 'reset' })
    await uploadBundle(await bundleOf(bytes), location(), 'always', fakeDeps({ s3: client }), options)
    expect((await s3.getObject(BUCKET, 'app/abc.zip')).body.equals(bytes)).toBe(true)
    expect(ops('UploadPart')).toBe(5)
    expect(await s3.listMultipartUploads(BUCKET)).toEqual([])
  })

  test('a part that keeps failing aborts the upload: no parts left behind, the error says what failed', async () => {
    s3.injectFault({ operation: 'UploadPart', kind: '5xx', count: 50 })
    const error = await failure(
      uploadBundle(await bundleOf(randomBytes(11 * MB, 11)), location(), 'always', fakeDeps({ s3: client }), options)
    )
    expect(error.message).toMatch(
      /^uploading the bundle to s3:\/\/bundles\/app\/abc\.zip failed: InternalError: We encountered an internal error/
    )
    await s3.idle()
    // Parts were cut in flight: aborted twice, as S3 documents for parts still arriving.
    expect(ops('AbortMultipartUpload')).toBe(2)
    expect(await s3.listMultipartUploads(BUCKET)).toEqual([])
    expect(await s3.listKeys(BUCKET)).toEqual([])
  }, 30_000)

  test('cancelling stops the upload and aborts it', async () => {
    s3.injectFault({ operation: 'UploadPart', kind: 'slow', delayMs: 5000, count: 10 })
    const controller = new AbortController()
    const pending = uploadBundle(
      await bundleOf(randomBytes(11 * MB, 12)),
      location(),
      'always',
      fakeDeps({ s3: client, signal: controller.signal }),
      options
    )
    setTimeout(() => controller.abort(), 300)
    const error: unknown = await pending.then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeDefined()
    await s3.idle()
    expect(ops('AbortMultipartUpload')).toBe(2)
    expect(await s3.listMultipartUploads(BUCKET)).toEqual([])
    expect(await s3.listKeys(BUCKET)).toEqual([])
  }, 30_000)
})

describe('encryption and bucket ownership', () => {
  test.each([
    ['AES256', undefined],
    ['aws:kms', 'arn:aws:kms:us-east-1:123456789000:key/1234abcd-12ab-34cd-56ef-1234567890ab']
  ] as const)('s3-sse %s reaches S3, in a single PUT and in parts', async (sse, kmsKeyId) => {
    for (const [key, size] of [
      ['small.zip', MB],
      ['big.zip', 7 * MB]
    ] as const) {
      await uploadBundle(await bundleOf(randomBytes(size, 13)), location({ key, sse, kmsKeyId }), 'always', fakeDeps({ s3: client }), {
        multipartThreshold: 6 * MB,
        partSize: 5 * MB
      })
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
      expect([key, head.ServerSideEncryption, head.SSEKMSKeyId]).toEqual([key, sse, kmsKeyId])
    }
  })

  test('the right expected-bucket-owner is accepted', async () => {
    const revision = await uploadBundle(
      await bundleOf(randomBytes(MB, 14)),
      location({ expectedBucketOwner: s3.accountId }),
      'auto',
      fakeDeps({ s3: client })
    )
    expect(revision.uploaded).toBe(true)
  })

  test('a bucket owned by another account is refused at the first request, naming expected-bucket-owner; nothing is written', async () => {
    const error = await failure(
      uploadBundle(await bundleOf(randomBytes(MB, 15)), location({ expectedBucketOwner: '111122223333' }), 'auto', fakeDeps({ s3: client }))
    )
    expect(error.input).toBe('expected-bucket-owner')
    expect(error.describe()).toMatch(
      /^Input 'expected-bucket-owner': Access denied while looking for s3:\/\/bundles\/app\/abc\.zip: .* S3 also answers so when the bucket is not owned by account 111122223333\. Fix: check that bundles belongs to account 111122223333/
    )
    expect([ops('HeadObject'), ops('PutObject')]).toEqual([1, 0])
    expect(await s3.listKeys(BUCKET)).toEqual([])
  })

  test('always, with a bucket of another account: the PUT is refused, naming expected-bucket-owner', async () => {
    const error = await failure(
      uploadBundle(
        await bundleOf(randomBytes(MB, 15)),
        location({ expectedBucketOwner: '111122223333' }),
        'always',
        fakeDeps({ s3: client })
      )
    )
    expect(error.describe()).toMatch(
      /^Input 'expected-bucket-owner': Access denied while uploading the bundle to s3:\/\/bundles\/app\/abc\.zip: .* not owned by account 111122223333\./
    )
    expect(await s3.listKeys(BUCKET)).toEqual([])
  })

  test('auto without expected-bucket-owner: a refused HEAD (no s3:ListBucket) does not stop the upload', async () => {
    // S3 answers HEAD on a missing key with 403 when the role may not list the bucket.
    const bundle = await bundleOf(randomBytes(MB, 16))
    const withoutList = new S3Client({
      region: REGION,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { ...S3_CREDENTIALS },
      requestChecksumCalculation: 'WHEN_REQUIRED'
    })
    withoutList.middlewareStack.add(
      next => async args => {
        const request = args.request as { method?: string }
        if (request.method === 'HEAD')
          throw Object.assign(new Error('UnknownError'), { name: 'Unknown', $metadata: { httpStatusCode: 403 } })
        return next(args)
      },
      { step: 'finalizeRequest', name: 'refuseHead' }
    )
    const revision = await uploadBundle(bundle, location(), 'auto', fakeDeps({ s3: withoutList }))
    withoutList.destroy()
    expect(revision.uploaded).toBe(true)
    expect((await s3.getObject(BUCKET, 'app/abc.zip')).metadata['sha256']).toBe(bundle.sha256)
  })

  test('never, with a bucket of another account: the refusal names expected-bucket-owner too', async () => {
    const error = await failure(requireExisting(location({ expectedBucketOwner: '111122223333' }), fakeDeps({ s3: client })))
    expect(error.input).toBe('expected-bucket-owner')
    expect(error.message).toMatch(
      /^Access denied while looking for s3:\/\/bundles\/app\/abc\.zip: the workflow's AWS identity may not call s3:GetObject/
    )
  })
})
