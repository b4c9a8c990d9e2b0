import type { BundleType, UploadMode } from '../core/domain.js'
import type { Bundle, BundleFollower } from '../bundle/write-bundle.js'
import { explainS3Error } from './existing-object.js'
import { s3Uri, type BundleLocation, type UploadedRevision } from './location.js'
import { isConditionFailure } from './no-overwrite.js'
import { StreamingUpload } from './stream-upload.js'
import {
  DEFAULT_MULTIPART_THRESHOLD,
  headBeforeWriting,
  streamParams,
  uploadBundle,
  uploadedRevision,
  type UploadDeps,
  type UploadOptions
} from './upload-bundle.js'

/** What the packager is given to let the upload follow the file it writes. */
export interface FollowHooks {
  /** Aborts when the upload failed or was cancelled: packaging stops. */
  signal: AbortSignal
  /** Called with the bundle file once it exists: the writer's onFinal and digest hooks. */
  follow: (file: string) => BundleFollower
}

export interface PackagedAndUploaded {
  bundle: Bundle
  revision: UploadedRevision
  /** The upload ran while the bundle was written. */
  streamed: boolean
}

export interface StreamUploadOptions extends Omit<UploadOptions, 'onProgress'> {
  /** The most the bundle can weigh (parts are sized to fit). */
  sizeLimit?: number
  /** Progress of the upload, given its total (0 when unknown: the bundle is still being written). */
  progress?: (totalBytes: number) => (bytesSent: number) => void
}

/**
 * Packages the bundle (`pack`) and puts it at the location, uploading while packaging when the
 * key is free: HEAD first (not for `always`); a 404 (or a 403 that tells nothing) lets the
 * upload follow the writer (stream-upload.ts), completed only if the key is still free. An object
 * already there keeps the order of uploadBundle: the bundle is finished and hashed, then compared
 * (reused, written as a new version, or refused). A bundle under the multipart threshold is one
 * PutObject after packaging. Whatever fails, the multipart upload is aborted before this returns.
 */
export async function uploadWhilePackaging(
  pack: (hooks: FollowHooks | undefined) => Promise<Bundle>,
  type: BundleType,
  loc: BundleLocation,
  mode: UploadMode,
  deps: UploadDeps,
  options: StreamUploadOptions = {}
): Promise<PackagedAndUploaded> {
  // `always` writes without looking first, as uploadBundle does: a conditional write finds what is there.
  const existing = mode === 'always' ? undefined : await headBeforeWriting(loc, deps)
  const sizes = (total: number): UploadOptions => ({ ...options, ...(options.progress ? { onProgress: options.progress(total) } : {}) })
  if (existing) {
    const bundle = await pack(undefined)
    return { bundle, revision: await uploadBundle(bundle, loc, mode, deps, sizes(bundle.size), { existing }), streamed: false }
  }
  const threshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD
  const onProgress = options.progress?.(0)
  const stream = new StreamingUpload(
    loc,
    { ...streamParams(type, loc), ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' },
    { s3: deps.clients.s3, signal: deps.signal, clock: deps.clock },
    { ...options, multipartThreshold: threshold, ...(onProgress ? { onProgress } : {}) }
  )
  let bundle: Bundle
  try {
    bundle = await pack({ signal: stream.failed, follow: file => stream.follow(file) })
  } catch (error) {
    // An upload that failed stopped the writer: its error is the cause, unless the run was cancelled.
    const cause = stream.error
    await stream.abandon()
    if (cause === undefined || deps.signal.aborted) throw error
    throw explainS3Error(cause, `uploading the bundle to ${s3Uri(loc)} while packaging`, 's3:PutObject', loc)
  }
  if (!stream.streaming) {
    await stream.abandon()
    return { bundle, revision: await uploadBundle(bundle, loc, mode, deps, sizes(bundle.size), { existing: undefined }), streamed: false }
  }
  try {
    return { bundle, revision: uploadedRevision(bundle, loc, await stream.complete()), streamed: true }
  } catch (error) {
    await stream.abandon()
    if (!isConditionFailure(error) || deps.signal.aborted) {
      throw explainS3Error(error, `uploading the bundle to ${s3Uri(loc)} while packaging`, 's3:PutObject', loc)
    }
    // An object is at the key (another run stored it meanwhile, or `always` found one): compare with it as uploadBundle does.
    const winner = await headBeforeWriting(loc, deps)
    return {
      bundle,
      revision: await uploadBundle(bundle, loc, mode, deps, sizes(bundle.size), winner ? { existing: winner } : undefined),
      streamed: false
    }
  }
}
