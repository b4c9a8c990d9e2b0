// @ts-check
// Workarounds for s3rver 3.7.1 gaps that matter to this project (see testbed/README.md); the
// store itself is in store.mjs, what S3 keeps beyond it in object-state.mjs:
// - putObject/putPart answer before the file is flushed, and a failed upload leaves a partial object;
// - CompleteMultipartUpload returns the md5 of the whole object instead of S3's
//   md5-of-part-md5s "-N" ETag, and ignores part ETags and the 5 MiB minimum part size;
// - If-Match / If-None-Match:* preconditions, versionId and x-amz-expected-bucket-owner are ignored;
//   bucket versioning and storage classes are unknown (object-state.mjs keeps them);
// - AbortMultipartUpload answers MethodNotAllowed;
// - aws-chunked request bodies (the SDK's default checksum mode) are stored verbatim;
// - SSE headers are not stored.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { createRequire } from 'node:module'
import { AwsChunkedDecoder } from './aws-chunked.mjs'
import { writeContext } from './object-state.mjs'
import { requestedChecksum } from './checksums.mjs'
import { noSuchUpload } from './store.mjs'

export { PatchedStore } from './store.mjs'

const require = createRequire(import.meta.url)
const S3Error = /** @type {any} */ (require('s3rver/lib/models/error'))

/** The account s3rver's dummy credentials (S3RVER/S3RVER) belong to. */
export const S3_ACCOUNT_ID = '123456789000'

/** @param {string} etag */
const bare = etag => etag.trim().replace(/^W\//, '').replace(/"/g, '')

/**
 * Koa middleware placed in front of s3rver's own.
 * @param {any} store the PatchedStore
 * @param {((line: string) => void) | undefined} log
 */
export function s3PreMiddleware(store, log) {
  /** @param {any} ctx @param {() => Promise<void>} next */
  return async function testbedS3(ctx, next) {
    try {
      await handle(ctx, next, store)
      log?.(`S3 ${ctx.method} ${ctx.url} -> ${ctx.status}`)
    } catch (err) {
      log?.(`S3 ${ctx.method} ${ctx.url} -> ${/** @type {any} */ (err).status ?? 500} ${/** @type {any} */ (err).code ?? ''}`)
      throw err
    }
  }
}

/** @param {any} ctx @param {() => Promise<void>} next @param {any} store */
async function handle(ctx, next, store) {
  const owner = ctx.get('x-amz-expected-bucket-owner')
  if (owner && owner !== S3_ACCOUNT_ID) throw new S3Error('AccessDenied', 'Access Denied')
  const parts = String(ctx.path).split('/').slice(1)
  const bucket = decodeURIComponent(parts[0] ?? '')
  const key = decodeURIComponent(parts.slice(1).join('/'))
  /** @type {import('./object-state.mjs').ObjectState} */
  const state = store.state
  const method = ctx.method
  const query = ctx.query
  if (bucket && !key && query.versioning !== undefined && (method === 'GET' || method === 'PUT')) return state.bucketVersioning(ctx, bucket)
  if (!bucket || !key) return next()
  const read = method === 'GET' || method === 'HEAD'
  if (read && query.versionId !== undefined && query.versionId !== 'null') {
    const version = state.isVersioned(bucket) ? state.version(bucket, key, String(query.versionId)) : undefined
    if (!state.isVersioned(bucket)) {
      throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: query.versionId })
    }
    if (!version) throw new S3Error('NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: query.versionId })
    if (version !== state.current(bucket, key)) return state.serveVersion(ctx, store, bucket, key, version)
  }
  if (method === 'DELETE' && query.uploadId !== undefined) {
    const dir = path.join(store.getResourcePath(bucket, undefined, 'uploads'), String(query.uploadId))
    // A second abort frees parts that landed after the first (S3 documents aborting again for them).
    if (!fs.existsSync(dir)) throw noSuchUpload(String(query.uploadId))
    await fsp.rm(dir, { recursive: true, force: true })
    ctx.status = 204
    return
  }
  const ifMatch = ctx.get('if-match')
  const isObjectPut = method === 'PUT' && query.uploadId === undefined && query.tagging === undefined && !ctx.get('x-amz-copy-source')
  if ((read || isObjectPut) && ifMatch) {
    const meta = await store.getMetadata(bucket, key).catch(() => null)
    if (!meta && isObjectPut) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key })
    if (meta && ifMatch !== '*' && bare(ifMatch) !== bare(String(meta.etag))) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' })
    }
  }
  if (read) {
    state.checkRead(ctx, bucket, key)
    await next()
    state.setReadHeaders(ctx, bucket, key)
    if (ctx.status === 200) store.checksums.setReadHeaders(ctx, bucket, key)
    const current = state.current(bucket, key)
    if (current && ctx.status === 200) ctx.set('x-amz-version-id', current.versionId)
    return
  }
  if (method === 'PUT' && isAwsChunked(ctx)) decodeAwsChunked(ctx)
  const isComplete = method === 'POST' && query.uploadId !== undefined
  // The checksums of a multipart upload: asked for at its creation, given with each part.
  if (method === 'POST' && query.uploads !== undefined) {
    const uploadChecksum = requestedChecksum(ctx)
    await writeContext.run({ ifNoneMatch: false, uploadChecksum }, next)
    if (uploadChecksum) ctx.set({ 'x-amz-checksum-algorithm': uploadChecksum.algorithm, 'x-amz-checksum-type': uploadChecksum.type })
    return
  }
  if (method === 'PUT' && query.uploadId !== undefined) {
    return writeContext.run({ ifNoneMatch: false, partCrc32: ctx.get('x-amz-checksum-crc32') || undefined }, next)
  }
  if (!isObjectPut && !isComplete) return next()
  // If-None-Match: * is decided by the store, when the object is committed (see PatchedStore.putObject).
  /** @type {import('./object-state.mjs').WriteContext} */
  const write = { ifNoneMatch: ctx.get('if-none-match') === '*', fullCrc32: ctx.get('x-amz-checksum-crc32') || undefined }
  await writeContext.run(write, next)
  if (write.versionId) ctx.set('x-amz-version-id', write.versionId)
  if (write.stored) ctx.set({ 'x-amz-checksum-crc32': write.stored.crc32, 'x-amz-checksum-type': write.stored.type })
}

/** @param {any} ctx */
function isAwsChunked(ctx) {
  return String(ctx.get('x-amz-content-sha256')).startsWith('STREAMING-') || /(^|,)\s*aws-chunked\s*(,|$)/.test(ctx.get('content-encoding'))
}

/** Replace the request stream with its decoded form and fix the headers s3rver stores. @param {any} ctx */
function decodeAwsChunked(ctx) {
  const req = ctx.req
  const headers = req.headers
  const decoder = new AwsChunkedDecoder()
  req.on('error', (/** @type {Error} */ err) => decoder.destroy(err))
  req.pipe(decoder)
  const encodings = String(headers['content-encoding'] ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(s => s && s !== 'aws-chunked')
  if (encodings.length) headers['content-encoding'] = encodings.join(',')
  else delete headers['content-encoding']
  const decodedLength = headers['x-amz-decoded-content-length']
  if (decodedLength) headers['content-length'] = decodedLength
  ctx.req = decoder
}
