// @ts-check
// Workarounds for s3rver 3.7.1 gaps that matter to this project (see testbed/README.md):
// - putObject/putPart answer before the file is flushed, and a failed upload leaves a partial object;
// - CompleteMultipartUpload returns the md5 of the whole object instead of S3's
//   md5-of-part-md5s "-N" ETag, and ignores part ETags and the 5 MiB minimum part size;
// - If-Match / If-None-Match:* preconditions, versionId and x-amz-expected-bucket-owner are ignored;
//   bucket versioning and storage classes are unknown (object-state.mjs keeps them);
// - AbortMultipartUpload answers MethodNotAllowed;
// - aws-chunked request bodies (the SDK's default checksum mode) are stored verbatim;
// - SSE headers are not stored.
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createRequire } from 'node:module'
import { AwsChunkedDecoder } from './aws-chunked.mjs'
import { writeContext } from './object-state.mjs'

// s3rver is CommonJS; load every piece of it through the same require so `instanceof S3Error` holds.
const require = createRequire(import.meta.url)
const FilesystemStore = /** @type {any} */ (require('s3rver/lib/stores/filesystem'))
const S3Error = /** @type {any} */ (require('s3rver/lib/models/error'))
const S3Object = /** @type {any} */ (require('s3rver/lib/models/object'))

/** The account s3rver's dummy credentials (S3RVER/S3RVER) belong to. */
export const S3_ACCOUNT_ID = '123456789000'
const MIN_PART_SIZE = 5 * 1024 * 1024

// Keep server-side-encryption headers with the object so HEAD/GET return them.
for (const h of ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id']) {
  if (!S3Object.ALLOWED_METADATA.includes(h)) S3Object.ALLOWED_METADATA.push(h)
}

/**
 * Write a stream or buffer to `file` through a temp file; resolves after the data is on disk.
 * @param {string} file @param {NodeJS.ReadableStream | Buffer} content
 * @returns {Promise<{ size: number, md5: string }>}
 */
async function writeAtomic(file, content) {
  const written = await writeTemp(file, content)
  await fsp.rename(written.tmp, file)
  return { size: written.size, md5: written.md5 }
}

/**
 * Write a stream or buffer to a temp file beside `file` (removed if the write fails).
 * @param {string} file @param {NodeJS.ReadableStream | Buffer} content
 * @returns {Promise<{ tmp: string, size: number, md5: string }>}
 */
async function writeTemp(file, content) {
  await fsp.mkdir(path.dirname(file), { recursive: true })
  const tmp = `${file}.tmp-${crypto.randomBytes(6).toString('hex')}`
  const hash = crypto.createHash('md5')
  let size = 0
  try {
    if (Buffer.isBuffer(content)) {
      hash.update(content)
      size = content.length
      await fsp.writeFile(tmp, content)
    } else {
      const meter = new Transform({
        transform(chunk, _enc, cb) {
          hash.update(chunk)
          size += chunk.length
          cb(null, chunk)
        }
      })
      await pipeline(content, meter, fs.createWriteStream(tmp))
    }
  } catch (err) {
    await fsp.rm(tmp, { force: true })
    throw err
  }
  return { tmp, size, md5: hash.digest('hex') }
}

/** s3rver's filesystem store with durable writes and S3-accurate multipart uploads. */
export class PatchedStore extends FilesystemStore {
  /** @param {string} directory @param {import('./object-state.mjs').ObjectState} state */
  constructor(directory, state) {
    super(directory)
    this.state = state
  }

  /**
   * Stores the object once its bytes are on disk; the `If-None-Match: *` check and the store are
   * one step per key, so of two racing conditional writes exactly one wins.
   * @param {any} object an s3rver S3Object @param {string} [etag] the ETag to keep (a multipart upload's)
   */
  async putObject(object, etag) {
    const { bucket, key } = object
    const file = this.getResourcePath(bucket, key, 'object')
    const written = await writeTemp(file, object.content)
    const ctx = writeContext.getStore()
    try {
      return await this.state.exclusive(bucket, key, Boolean(ctx?.ifNoneMatch && etag), async () => {
        if (ctx?.ifNoneMatch && fs.existsSync(file)) {
          throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
            Condition: 'If-None-Match'
          })
        }
        await fsp.rename(written.tmp, file)
        const md5 = etag ?? written.md5
        await this.putMetadata(bucket, key, object.metadata, md5)
        const versionId = await this.state.recordWrite(this, bucket, key, md5, written.size)
        if (ctx) ctx.versionId = versionId
        return { size: written.size, md5 }
      })
    } finally {
      await fsp.rm(written.tmp, { force: true })
    }
  }

  /** @param {string} bucket @param {string} uploadId @param {string | number} partNumber @param {NodeJS.ReadableStream} content */
  async putPart(bucket, uploadId, partNumber, content) {
    const dir = path.join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId)
    if (!fs.existsSync(path.join(dir, 'key'))) throw noSuchUpload(uploadId)
    const partPath = path.join(dir, String(partNumber))
    const result = await writeAtomic(partPath, content)
    await fsp.writeFile(`${partPath}.md5`, result.md5)
    return result
  }

  /** @param {string} bucket @param {string} uploadId @param {{ number: number, etag: string }[]} parts */
  async putObjectMultipart(bucket, uploadId, parts) {
    const dir = path.join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId)
    const key = await fsp.readFile(path.join(dir, 'key'), 'utf8').catch(() => {
      throw noSuchUpload(uploadId)
    })
    const digests = []
    let previous = 0
    for (const [i, part] of parts.entries()) {
      if (part.number <= previous) {
        throw new S3Error(
          'InvalidPartOrder',
          'The list of parts was not in ascending order. The parts list must be specified in order by part number.'
        )
      }
      previous = part.number
      const partPath = path.join(dir, String(part.number))
      const found = await Promise.all([fsp.readFile(`${partPath}.md5`, 'utf8'), fsp.stat(partPath)]).catch(() => null)
      if (!found || found[0] !== part.etag) {
        throw new S3Error(
          'InvalidPart',
          "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          { UploadId: uploadId, PartNumber: part.number, ETag: part.etag }
        )
      }
      if (i < parts.length - 1 && found[1].size < MIN_PART_SIZE) {
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
          ProposedSize: found[1].size,
          MinSizeAllowed: MIN_PART_SIZE,
          PartNumber: part.number
        })
      }
      digests.push(Buffer.from(found[0], 'hex'))
    }
    const etag = `${crypto.createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${parts.length}`
    const metadata = JSON.parse(await fsp.readFile(path.join(dir, 'metadata'), 'utf8'))
    const content = Readable.from(
      (async function* () {
        for (const part of parts) yield* fs.createReadStream(path.join(dir, String(part.number)))
      })()
    )
    // A refused condition leaves the upload open, as S3 does: the client must abort it.
    const result = await this.putObject(new S3Object(bucket, key, content, metadata), etag)
    await fsp.rm(dir, { recursive: true, force: true })
    return result
  }
}

/** @param {string} uploadId */
function noSuchUpload(uploadId) {
  return new S3Error(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: uploadId }
  )
}

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
    const current = state.current(bucket, key)
    if (current && ctx.status === 200) ctx.set('x-amz-version-id', current.versionId)
    return
  }
  if (method === 'PUT' && isAwsChunked(ctx)) decodeAwsChunked(ctx)
  const isComplete = method === 'POST' && query.uploadId !== undefined
  if (!isObjectPut && !isComplete) return next()
  // If-None-Match: * is decided by the store, when the object is committed (see PatchedStore.putObject).
  /** @type {import('./object-state.mjs').WriteContext} */
  const write = { ifNoneMatch: ctx.get('if-none-match') === '*' }
  await writeContext.run(write, next)
  if (write.versionId) ctx.set('x-amz-version-id', write.versionId)
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
