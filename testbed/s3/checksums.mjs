// @ts-check
// Additional checksums as S3 keeps them, for the one case the action relies on: a multipart upload
// created with `x-amz-checksum-algorithm: CRC32` and `x-amz-checksum-type: FULL_OBJECT`.
// - UploadPart with `x-amz-checksum-crc32`: a part whose bytes do not match is refused (400 BadDigest);
// - CompleteMultipartUpload computes the CRC-32 of the whole object, refuses a different
//   `x-amz-checksum-crc32` (400 BadDigest) and keeps it with the object;
// - HEAD and GET return `x-amz-checksum-crc32` and `x-amz-checksum-type: FULL_OBJECT` only when asked
//   with `x-amz-checksum-mode: ENABLED`, as S3 does. Any other write of the key drops it.
import fs from 'node:fs'
import zlib from 'node:zlib'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const S3Error = /** @type {any} */ (require('s3rver/lib/models/error'))

/** @typedef {{ algorithm: string, type: string }} UploadChecksum what CreateMultipartUpload asked for */
/** @typedef {{ crc32: string, type: string }} StoredChecksum what HEAD returns when asked */

/** @param {number} crc */
export function crc32Base64(crc) {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32BE(crc >>> 0)
  return bytes.toString('base64')
}

/** The checksum a CreateMultipartUpload request asks for, if any. @param {any} ctx @returns {UploadChecksum | undefined} */
export function requestedChecksum(ctx) {
  const algorithm = String(ctx.get('x-amz-checksum-algorithm') || '').toUpperCase()
  if (!algorithm) return undefined
  return { algorithm, type: String(ctx.get('x-amz-checksum-type') || 'COMPOSITE').toUpperCase() }
}

/** @param {string} what e.g. 'CRC32' */
export function badDigest(what) {
  return new S3Error('BadDigest', `The ${what} you specified did not match the calculated checksum.`)
}

/**
 * The CRC-32 of files read one after another (a multipart object's parts, in order).
 * @param {string[]} files @returns {Promise<number>}
 */
export async function crc32OfFiles(files) {
  let crc = 0
  for (const file of files) {
    for await (const chunk of fs.createReadStream(file)) crc = zlib.crc32(/** @type {Buffer} */ (chunk), crc)
  }
  return crc >>> 0
}

/** The object checksums S3 keeps, by bucket\0key (the current object only). */
export class ObjectChecksums {
  constructor() {
    /** @type {Map<string, StoredChecksum>} */ this.stored = new Map()
  }

  /** After a write of the key: what it stored, or nothing. @param {string} bucket @param {string} key @param {StoredChecksum | undefined} checksum */
  record(bucket, key, checksum) {
    if (checksum) this.stored.set(`${bucket}\0${key}`, checksum)
    else this.stored.delete(`${bucket}\0${key}`)
  }

  /** HEAD / GET: the checksum headers, only when the request asks for them. @param {any} ctx @param {string} bucket @param {string} key */
  setReadHeaders(ctx, bucket, key) {
    const stored = this.stored.get(`${bucket}\0${key}`)
    if (!stored || String(ctx.get('x-amz-checksum-mode')).toUpperCase() !== 'ENABLED') return
    ctx.set('x-amz-checksum-crc32', stored.crc32)
    ctx.set('x-amz-checksum-type', stored.type)
  }
}
