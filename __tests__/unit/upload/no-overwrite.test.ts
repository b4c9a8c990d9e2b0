/**
 * A bundle a deployment may have used is never replaced (deployments pin it by eTag): racing
 * runs, unversioned and versioned buckets, single PUT and multipart, against the local S3.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { uploadBundle } from '../../../src/upload/upload-bundle.js'
import { fakeDeps } from '../../helpers/deps.js'
import { FakeS3, s3Error } from '../../helpers/s3.js'
import { randomBytes } from '../../helpers/tree.js'
import { BUCKET, failure, KEY, location, MB, useLocalS3 } from './local-s3.js'

const bed = useLocalS3()
const deps = () => fakeDeps({ s3: bed.client })
const multipart = { multipartThreshold: 6 * MB, partSize: 5 * MB, concurrency: 2 }
const statuses = (operation: string): number[] => bed.s3.requests.filter(r => r.operation === operation).map(r => r.status)

describe('two runs racing for the same key', () => {
  test.each([
    ['a single PUT', {}, 'PutObject'],
    ['multipart', multipart, 'CompleteMultipartUpload']
  ] as const)('%s, different bytes: one wins, the other refuses naming both sha256s; nothing is left open', async (_, sizes, write) => {
    const size = write === 'PutObject' ? MB : 11 * MB
    const [a, b] = [await bed.bundleOf(randomBytes(size, 21)), await bed.bundleOf(randomBytes(size, 22))]
    // `always` skips the first HEAD, so both go straight to their conditional write.
    const results = await Promise.allSettled([
      uploadBundle(a, location(), 'always', deps(), sizes),
      uploadBundle(b, location(), 'always', deps(), sizes)
    ])
    const won = results.findIndex(r => r.status === 'fulfilled')
    const lost = results.find(r => r.status === 'rejected')
    expect(won).toBeGreaterThanOrEqual(0)
    const winner = won === 0 ? a : b
    const loser = won === 0 ? b : a
    const error = await failure(Promise.reject((lost as PromiseRejectedResult).reason))
    expect(error.code).toBe('BundleChanged')
    expect(error.message).toContain(`(sha256 ${winner.sha256}, written `)
    expect(error.message).toContain(`than this run built (sha256 ${loser.sha256})`)
    expect((await bed.s3.getObject(BUCKET, KEY)).metadata['sha256']).toBe(winner.sha256)
    expect(statuses(write).filter(s => s === 200)).toHaveLength(1)
    expect(statuses(write).filter(s => s === 412 || s === 409)).toHaveLength(1)
    await bed.s3.idle()
    expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
  })

  test('same bytes: one uploads, the other finds them and reuses the object', async () => {
    const bundle = await bed.bundleOf(randomBytes(MB, 23))
    const [x, y] = await Promise.all([
      uploadBundle(bundle, location(), 'always', deps()),
      uploadBundle(bundle, location(), 'always', deps())
    ])
    expect([x.uploaded, y.uploaded].sort()).toEqual([false, true])
    expect(x.eTag).toBe(y.eTag)
    expect(statuses('PutObject').sort()).toEqual([200, 412])
  })

  test('a refused CompleteMultipartUpload leaves no multipart upload behind', async () => {
    const first = await bed.bundleOf(randomBytes(MB, 24))
    await uploadBundle(first, location(), 'auto', deps())
    await failure(uploadBundle(await bed.bundleOf(randomBytes(11 * MB, 25)), location(), 'always', deps(), multipart))
    expect(statuses('CompleteMultipartUpload')).toEqual([412])
    expect(bed.ops('AbortMultipartUpload')).toBe(1)
    expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
    expect((await bed.s3.getObject(BUCKET, KEY)).metadata['sha256']).toBe(first.sha256)
  })

  test('409 ConditionalRequestConflict (a concurrent write that then left nothing): the upload is aborted and tried again', async () => {
    const fake = new FakeS3()
    let conflicts = 1
    fake.fault = call =>
      call.command === 'CompleteMultipartUpload' && conflicts-- > 0 ? s3Error('ConditionalRequestConflict', 409) : undefined
    const bundle = await bed.bundleOf(randomBytes(11 * MB, 26))
    const revision = await uploadBundle(bundle, location(), 'always', fakeDeps({ s3: fake.client }), multipart)
    expect(revision.uploaded).toBe(true)
    expect([fake.count('CreateMultipartUpload'), fake.count('AbortMultipartUpload'), fake.count('HeadObject')]).toEqual([2, 1, 1])
    expect(fake.openUploads).toBe(0)
    expect(fake.inputs('CompleteMultipartUpload').map(i => i['IfNoneMatch'])).toEqual(['*', '*'])
  })
})

describe('a versioned bucket', () => {
  test('other bytes become a new version; the earlier one stays readable by its version id and eTag', async () => {
    bed.s3.setVersioning(BUCKET, 'Enabled')
    const one = await bed.bundleOf(randomBytes(MB, 27))
    const two = await bed.bundleOf(randomBytes(MB, 28))
    const first = await uploadBundle(one, location(), 'auto', deps())
    const second = await uploadBundle(two, location(), 'auto', deps())
    expect(second.uploaded).toBe(true)
    expect(first.version).toBeDefined()
    expect(second.version).not.toBe(first.version)
    expect(statuses('GetBucketVersioning')).toEqual([200])
    const old = await bed.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY, VersionId: first.version, IfMatch: first.eTag }))
    expect(Buffer.from(await old.Body!.transformToByteArray()).equals(await import('node:fs').then(f => f.readFileSync(one.file)))).toBe(
      true
    )
    expect((await bed.s3.getObject(BUCKET, KEY)).metadata['sha256']).toBe(two.sha256)
  })

  test('versioning suspended: refused like an unversioned bucket (a write would replace the null version)', async () => {
    bed.s3.setVersioning(BUCKET, 'Suspended')
    await uploadBundle(await bed.bundleOf(randomBytes(MB, 29)), location(), 'auto', deps())
    const error = await failure(uploadBundle(await bed.bundleOf(randomBytes(MB, 30)), location(), 'auto', deps()))
    expect(error.message).toContain('and bucket bundles has versioning suspended:')
  })
})
