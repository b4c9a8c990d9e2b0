// @ts-check
// s3rver's filesystem store, made durable and S3-accurate (see fixes.mjs and testbed/README.md):
// writes go through a temp file and a rename; an object is committed under a per-key lock, where
// `If-None-Match: *` is decided and a version is recorded (object-state.mjs); multipart uploads
// check their parts and get S3's `md5(part md5s)-N` ETag.
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createRequire } from 'node:module'
import zlib from 'node:zlib'
import { writeContext } from './object-state.mjs'
import { badDigest, crc32Base64, crc32OfFiles, ObjectChecksums } from './checksums.mjs'

// s3rver is CommonJS; load every piece of it through the same require so `instanceof S3Error` holds.
const require = createRequire(import.meta.url)
const FilesystemStore = /** @type {any} */ (require('s3rver/lib/stores/filesystem'))
const S3Error = /** @type {any} */ (require('s3rver/lib/models/error'))
const S3Object = /** @type {any} */ (require('s3rver/lib/models/object'))

const MIN_PART_SIZE = 5 * 1024 * 1024

// Keep server-side-encryption headers with the object so HEAD/GET return them.
for (const h of ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id']) {
  if (!S3Object.ALLOWED_METADATA.includes(h)) S3Object.ALLOWED_METADATA.push(h)
}

/**
 * Write a stream or buffer to `file` through a temp file; resolves after the data is on disk.
 * @param {string} file @param {NodeJS.ReadableStream | Buffer} content
 * @param {string} [crc32] the CRC-32 the request gave (base64): other bytes are refused, as S3 does (BadDigest)
 * @returns {Promise<{ size: number, md5: string, crc32: number }>}
 */
async function writeAtomic(file, content, crc32) {
  const written = await writeTemp(file, content)
  if (crc32 !== undefined && crc32 !== crc32Base64(written.crc32)) {
    await fsp.rm(written.tmp, { force: true })
    throw badDigest('CRC32')
  }
  await fsp.rename(written.tmp, file)
  return { size: written.size, md5: written.md5, crc32: written.crc32 }
}

/**
 * Write a stream or buffer to a temp file beside `file` (removed if the write fails).
 * @param {string} file @param {NodeJS.ReadableStream | Buffer} content
 * @returns {Promise<{ tmp: string, size: number, md5: string, crc32: number }>}
 */
async function writeTemp(file, content) {
  await fsp.mkdir(path.dirname(file), { recursive: true })
  const tmp = `${file}.tmp-${crypto.randomBytes(6).toString('hex')}`
  const hash = crypto.createHash('md5')
  let size = 0
  let crc32 = 0
  try {
    if (Buffer.isBuffer(content)) {
      hash.update(content)
      crc32 = zlib.crc32(content)
      size = content.length
      await fsp.writeFile(tmp, content)
    } else {
      const meter = new Transform({
        transform(chunk, _enc, cb) {
          hash.update(chunk)
          crc32 = zlib.crc32(chunk, crc32)
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
  return { tmp, size, md5: hash.digest('hex'), crc32: crc32 >>> 0 }
}

/** s3rver's filesystem store with durable writes and S3-accurate multipart uploads. */
export class PatchedStore extends FilesystemStore {
  /** @param {string} directory @param {import('./object-state.mjs').ObjectState} state */
  constructor(directory, state) {
    super(directory)
    this.state = state
    this.checksums = new ObjectChecksums()
  }

  /** Keeps the checksum CreateMultipartUpload asked for beside the upload. @param {string} bucket @param {string} key @param {string} uploadId @param {any} metadata */
  async initiateUpload(bucket, key, uploadId, metadata) {
    await super.initiateUpload(bucket, key, uploadId, metadata)
    const checksum = writeContext.getStore()?.uploadChecksum
    if (checksum) {
      const dir = path.join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId)
      await fsp.writeFile(path.join(dir, 'checksum'), JSON.stringify(checksum))
    }
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
        this.checksums.record(bucket, key, ctx?.stored)
        const versionId = await this.state.recordWrite(this, bucket, key, md5, written.size)
        if (ctx) ctx.versionId = versionId
        return { size: written.size, md5 }
      })
    } finally {
      await fsp.rm(written.tmp, { force: true })
    }
  }

  /**
   * A FULL_OBJECT CRC32 upload: the whole object's CRC-32, checked against the one the request gave,
   * handed to putObject (writeContext.stored) to keep with the object.
   * @param {string} dir the upload's directory @param {{ number: number }[]} parts
   */
  async fullObjectChecksum(dir, parts) {
    const ctx = writeContext.getStore()
    const asked = await fsp.readFile(path.join(dir, 'checksum'), 'utf8').then(JSON.parse, () => undefined)
    if (!ctx || asked?.algorithm !== 'CRC32' || asked.type !== 'FULL_OBJECT') return
    const crc32 = crc32Base64(await crc32OfFiles(parts.map(p => path.join(dir, String(p.number)))))
    if (ctx.fullCrc32 !== undefined && ctx.fullCrc32 !== crc32) throw badDigest('CRC32')
    ctx.stored = { crc32, type: 'FULL_OBJECT' }
  }

  /** @param {string} bucket @param {string} uploadId @param {string | number} partNumber @param {NodeJS.ReadableStream} content */
  async putPart(bucket, uploadId, partNumber, content) {
    const dir = path.join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId)
    if (!fs.existsSync(path.join(dir, 'key'))) throw noSuchUpload(uploadId)
    const partPath = path.join(dir, String(partNumber))
    const result = await writeAtomic(partPath, content, writeContext.getStore()?.partCrc32)
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
    await this.fullObjectChecksum(dir, parts)
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
export function noSuchUpload(uploadId) {
  return new S3Error(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: uploadId }
  )
}
