/**
 * A multipart upload is never left open (S3 keeps and bills its parts, out of sight): after a
 * failure or a cancel at any step, ListMultipartUploads comes back empty. A cancel stops the
 * upload within a second and leaves no object either.
 */
import { systemClock } from '../../../src/core/clock.js'
import { uploadBundle } from '../../../src/upload/upload-bundle.js'
import { fakeDeps } from '../../helpers/deps.js'
import { randomBytes } from '../../helpers/tree.js'
import { BUCKET, location, MB, useLocalS3 } from './local-s3.js'

const bed = useLocalS3()
const multipart = { multipartThreshold: 6 * MB, partSize: 5 * MB, concurrency: 2 }

/** Uploads `size` bytes, cancelling when the server first receives `operation`; resolves when uploadBundle has ended. */
async function cancelDuring(operation: string, size: number): Promise<{ error: unknown; stoppedMs: number }> {
  const controller = new AbortController()
  const bundle = await bed.bundleOf(randomBytes(size, 41))
  let cancelledAt = 0
  const timer = setInterval(() => {
    if (!controller.signal.aborted && bed.s3.requests.some(r => r.operation === operation)) {
      cancelledAt = Date.now()
      controller.abort()
    }
  }, 5)
  try {
    const error: unknown = await uploadBundle(
      bundle,
      location(),
      'always',
      fakeDeps({ s3: bed.client, signal: controller.signal, clock: systemClock }),
      multipart
    ).then(
      () => undefined,
      (e: unknown) => e
    )
    return { error, stoppedMs: Date.now() - cancelledAt }
  } finally {
    clearInterval(timer)
  }
}

describe('cancelled', () => {
  test.each([
    ['CreateMultipartUpload', 11 * MB],
    ['UploadPart', 11 * MB],
    ['CompleteMultipartUpload', 11 * MB],
    ['PutObject', 3 * MB]
  ])('while %s is in flight: stops within a second, no object, no multipart upload', async (operation, size) => {
    bed.s3.injectFault({ operation, kind: 'slow', delayMs: 3000, count: 10 })
    const { error, stoppedMs } = await cancelDuring(operation, size)
    expect(error).toBeDefined()
    expect(stoppedMs).toBeLessThan(1000)
    await bed.s3.idle()
    expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
    expect(await bed.s3.listKeys(BUCKET)).toEqual([])
  })

  test('while CreateMultipartUpload is answered slowly but within the grace: its upload is learnt and aborted', async () => {
    bed.s3.injectFault({ operation: 'CreateMultipartUpload', kind: 'slow', delayMs: 200 })
    const { error, stoppedMs } = await cancelDuring('CreateMultipartUpload', 11 * MB)
    expect(error).toBeDefined()
    expect(stoppedMs).toBeLessThan(1000)
    await bed.s3.idle()
    expect(bed.s3.requests.filter(r => r.operation === 'CreateMultipartUpload').map(r => r.status)).toEqual([200])
    expect(bed.s3.requests.filter(r => r.operation === 'AbortMultipartUpload').map(r => r.status)).toEqual([204])
    expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
  })
})

describe('failing', () => {
  test.each(['UploadPart', 'CompleteMultipartUpload'])(
    '%s failing for good: aborted, nothing left',
    async operation => {
      bed.s3.injectFault({ operation, kind: '5xx', count: 50 })
      const error: unknown = await uploadBundle(
        await bed.bundleOf(randomBytes(11 * MB, 42)),
        location(),
        'always',
        fakeDeps({ s3: bed.client }),
        multipart
      ).then(
        () => undefined,
        (e: unknown) => e
      )
      expect(error).toBeDefined()
      await bed.s3.idle()
      expect(bed.ops('AbortMultipartUpload')).toBeGreaterThanOrEqual(1)
      expect(await bed.s3.listMultipartUploads(BUCKET)).toEqual([])
      expect(await bed.s3.listKeys(BUCKET)).toEqual([])
    },
    30_000
  )
})

describe('progress', () => {
  test('each part taken by S3 reports the running total, ending at the bundle size', async () => {
    const bundle = await bed.bundleOf(randomBytes(12 * MB, 43))
    const seen: number[] = []
    await uploadBundle(bundle, location(), 'always', fakeDeps({ s3: bed.client, clock: systemClock }), {
      ...multipart,
      onProgress: sent => seen.push(sent)
    })
    expect(seen).toHaveLength(3)
    expect([...seen].sort((a, b) => a - b)).toEqual(seen)
    expect(seen.at(-1)).toBe(12 * MB)
  })
})
