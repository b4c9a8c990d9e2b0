/**
 * uploadWhilePackaging against the local S3: a free key streams the bundle as it is written; an
 * object already there is compared once the bundle is finished (reused by its sha256 metadata or,
 * for an object uploaded while packaging, by S3's full-object CRC-32); a packaging failure or an
 * upload failure stops both and leaves no multipart upload.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { systemClock } from '../../../src/core/clock.js'
import type { UploadMode } from '../../../src/core/domain.js'
import { ActionError } from '../../../src/core/errors.js'
import { digestFile, type Bundle } from '../../../src/bundle/write-bundle.js'
import { uploadBundle } from '../../../src/upload/upload-bundle.js'
import { uploadWhilePackaging, type FollowHooks } from '../../../src/upload/upload-while-packaging.js'
import { fakeDeps } from '../../helpers/deps.js'
import { randomBytes, TempDirs } from '../../helpers/tree.js'
import { BUCKET, KEY, location, MB, useLocalS3 } from './local-s3.js'

const bed = useLocalS3()
const temp = new TempDirs()
afterAll(() => temp.cleanup())
const SIZES = { multipartThreshold: 6 * MB, partSize: 5 * MB, concurrency: 2 }

/** A packager stand-in: writes `bytes` in 1 MiB writes as the writers do (onFinal, the signal), failing after `failAt` bytes if given. */
function packager(
  bytes: Buffer,
  failAt?: number
): { pack: (hooks: FollowHooks | undefined) => Promise<Bundle>; writtenWhenFirstPart: () => number } {
  let written = 0
  let atFirstPart = -1
  const pack = async (hooks: FollowHooks | undefined): Promise<Bundle> => {
    const file = path.join(temp.make('cda-pack-'), 'bundle.zip')
    fs.writeFileSync(file, '')
    const follower = hooks?.follow(file)
    for (let at = 0; at < bytes.length; at += MB) {
      hooks?.signal.throwIfAborted()
      if (failAt !== undefined && at >= failAt) throw new Error('src/app.js changed while it was bundled')
      fs.appendFileSync(file, bytes.subarray(at, at + MB))
      written = Math.min(bytes.length, at + MB)
      await follower?.onFinal(written)
      if (atFirstPart < 0 && bed.ops('UploadPart') > 0) atFirstPart = written
      // Time for S3 to answer, as real packaging takes.
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    const digest = (await follower?.digest(bytes.length)) ?? (await digestFile(file, new AbortController().signal))
    return { file, type: 'zip', size: bytes.length, ...digest, entries: 1 }
  }
  return { pack, writtenWhenFirstPart: () => atFirstPart }
}

const deps = (signal = new AbortController().signal) => fakeDeps({ s3: bed.client, signal, clock: systemClock })
/** A zip bundle packaged by `pack`, to this file's location and part sizes. */
const upload = (pack: Parameters<typeof uploadWhilePackaging>[0], mode: UploadMode = 'auto') =>
  uploadWhilePackaging(pack, 'zip', location(), mode, deps(), SIZES)
/** Once S3 has settled: no multipart upload left open and no object stored. */
async function expectNothingStored(): Promise<void> {
  await bed.s3.idle()
  expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
  expect(await bed.s3.listKeys(BUCKET)).toEqual([])
}

test('a free key: the upload starts before packaging ends; a re-run with the same bytes reuses it (by CRC-32 and size)', async () => {
  const bytes = randomBytes(30 * MB, 21)
  const first = packager(bytes)
  const done = await upload(first.pack)
  expect(done.streamed).toBe(true)
  expect(first.writtenWhenFirstPart()).toBeGreaterThan(0)
  expect(first.writtenWhenFirstPart()).toBeLessThan(bytes.length)
  expect(done.revision).toMatchObject({ uploaded: true, size: bytes.length, sha256: done.bundle.sha256 })
  expect((await bed.s3.getObject(BUCKET, KEY)).body.equals(bytes)).toBe(true)

  const again = await upload(packager(bytes).pack)
  expect(again.streamed).toBe(false)
  expect(again.revision).toMatchObject({ uploaded: false, eTag: done.revision.eTag, sha256: done.bundle.sha256, matchedBy: 'crc32' })
  expect(bed.ops('CreateMultipartUpload')).toBe(1)
})

test('other bytes at a key uploaded while packaging, unversioned bucket: refused, naming its CRC-32', async () => {
  await upload(packager(randomBytes(12 * MB, 22)).pack)
  const error: unknown = await upload(packager(randomBytes(12 * MB, 23)).pack).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ActionError)
  expect((error as ActionError).message).toMatch(/already holds another bundle for this commit \(CRC-32 \S+, uploaded while packaging/)
})

test('an object an earlier version uploaded (sha256 metadata, one PutObject) is still reused', async () => {
  const bytes = randomBytes(12 * MB, 24)
  const { pack } = packager(bytes)
  const earlier = await uploadBundle(await pack(undefined), location(), 'auto', deps(), { multipartThreshold: 16 * MB })
  const again = await upload(packager(bytes).pack)
  expect(again.revision).toMatchObject({ uploaded: false, eTag: earlier.eTag, matchedBy: 'sha256' })
})

test('a small bundle is one PutObject after packaging, with its sha256 metadata', async () => {
  const done = await upload(packager(randomBytes(3 * MB, 25)).pack)
  expect(done.streamed).toBe(false)
  expect(['PutObject', 'CreateMultipartUpload'].map(bed.ops)).toEqual([1, 0])
  expect((await bed.s3.getObject(BUCKET, KEY)).metadata).toEqual({ sha256: done.bundle.sha256 })
})

test('packaging fails after parts went up: the upload is aborted, the packaging error is what is thrown', async () => {
  const error: unknown = await upload(packager(randomBytes(30 * MB, 26), 20 * MB).pack).catch((e: unknown) => e)
  expect(String(error)).toContain('changed while it was bundled')
  expect(bed.ops('UploadPart')).toBeGreaterThan(0)
  await expectNothingStored()
})

test('the upload fails for good: packaging is stopped, the S3 error is what is thrown, nothing is left', async () => {
  bed.s3.injectFault({ operation: 'UploadPart', kind: '5xx', count: 100 })
  const bytes = randomBytes(40 * MB, 27)
  const error: unknown = await upload(packager(bytes).pack).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ActionError)
  expect((error as ActionError).message).toContain('while packaging')
  await expectNothingStored()
})

test('always does not look first: the streamed completion is refused by the object there, which is then compared and reused', async () => {
  const bytes = randomBytes(12 * MB, 28)
  const first = await upload(packager(bytes).pack)
  const before = bed.s3.requests.length
  const again = await upload(packager(bytes).pack, 'always')
  expect(again.revision).toMatchObject({ uploaded: false, eTag: first.revision.eTag, matchedBy: 'crc32' })
  expect(bed.ops('CreateMultipartUpload')).toBe(2)
  // Nothing looked at the key before the refused completion; then the object was read.
  const ops = bed.s3.requests.slice(before).map(r => r.operation)
  expect(ops.indexOf('HeadObject')).toBeGreaterThan(ops.indexOf('CompleteMultipartUpload'))
  expect(ops.filter(op => op === 'HeadObject').length).toBeGreaterThan(0)
  await bed.s3.idle()
  expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
})
