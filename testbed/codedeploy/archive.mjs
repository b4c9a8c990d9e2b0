// @ts-check
// Reads the file list of a revision bundle (zip, tar, tgz) and the content of chosen entries,
// from a file on disk with bounded memory (the zip central directory, or a streamed tar).
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import zlib from 'node:zlib'
import { readTar, normalizeEntry } from './tar.mjs'

export { normalizeEntry }

/**
 * @typedef {object} ArchiveIndex
 * @property {Set<string>} files regular files (and links), normalized: no leading './' or '/'
 * @property {Map<string, Buffer>} contents content of the requested entries that exist
 */

/**
 * @param {string} file
 * @param {string} bundleType 'zip' | 'tar' | 'tgz'
 * @param {string[]} wanted entry names whose content to return
 * @returns {Promise<ArchiveIndex>}
 */
export async function readArchive(file, bundleType, wanted) {
  if (bundleType === 'zip') return readZip(file, wanted)
  const source = fs.createReadStream(file)
  if (bundleType === 'tgz') return readTar(source.pipe(zlib.createGunzip()), wanted, source)
  if (bundleType === 'tar') return readTar(source, wanted, source)
  throw new Error(`Unsupported bundle type ${bundleType}`)
}

/** @type {Int32Array | undefined} */
let crcTable
/** @param {Buffer} buf */
function crc32(buf) {
  if (!crcTable) {
    crcTable = new Int32Array(256)
    for (let i = 0; i < 256; i++) {
      let c = i
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[i] = c
    }
  }
  let crc = -1
  for (const byte of buf) crc = /** @type {number} */ (crcTable[(crc ^ byte) & 0xff]) ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}

/** @param {fsp.FileHandle} fh @param {number} position @param {number} length */
async function readAt(fh, position, length) {
  const buf = Buffer.alloc(length)
  const { bytesRead } = await fh.read(buf, 0, length, position)
  if (bytesRead !== length) throw new Error('Unexpected end of zip file')
  return buf
}

/** @param {string} file @param {string[]} wanted @returns {Promise<ArchiveIndex>} */
async function readZip(file, wanted) {
  const fh = await fsp.open(file, 'r')
  try {
    const size = (await fh.stat()).size
    const tailLength = Math.min(size, 65535 + 22)
    const tail = await readAt(fh, size - tailLength, tailLength)
    let eocd = -1
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i
        break
      }
    }
    if (eocd < 0) throw new Error('End-of-central-directory signature not found: not a zip file')
    let entries = tail.readUInt16LE(eocd + 10)
    let cdSize = tail.readUInt32LE(eocd + 12)
    let cdOffset = tail.readUInt32LE(eocd + 16)
    if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locatorAt = size - tailLength + eocd - 20
      const locator = await readAt(fh, locatorAt, 20)
      if (locator.readUInt32LE(0) !== 0x07064b50) throw new Error('ZIP64 end-of-central-directory locator not found')
      const z64 = await readAt(fh, Number(locator.readBigUInt64LE(8)), 56)
      if (z64.readUInt32LE(0) !== 0x06064b50) throw new Error('ZIP64 end-of-central-directory record not found')
      entries = Number(z64.readBigUInt64LE(32))
      cdSize = Number(z64.readBigUInt64LE(40))
      cdOffset = Number(z64.readBigUInt64LE(48))
    }
    if (cdOffset + cdSize > size) throw new Error('Central directory lies outside the file: the zip file is corrupt')
    const cd = await readAt(fh, cdOffset, cdSize)
    /** @type {Set<string>} */
    const files = new Set()
    /** @type {Map<string, { offset: number, csize: number, method: number, crc: number }>} */
    const located = new Map()
    const want = new Set(wanted)
    let p = 0
    for (let n = 0; n < entries; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw new Error('Bad central directory entry: the zip file is corrupt')
      const method = cd.readUInt16LE(p + 10)
      const crc = cd.readUInt32LE(p + 16)
      let csize = cd.readUInt32LE(p + 20)
      let usize = cd.readUInt32LE(p + 24)
      const nameLength = cd.readUInt16LE(p + 28)
      const extraLength = cd.readUInt16LE(p + 30)
      const commentLength = cd.readUInt16LE(p + 32)
      let offset = cd.readUInt32LE(p + 42)
      const rawName = cd.subarray(p + 46, p + 46 + nameLength).toString('utf8')
      const extra = cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength)
      for (let e = 0; e + 4 <= extra.length;) {
        const id = extra.readUInt16LE(e)
        const len = extra.readUInt16LE(e + 2)
        if (id === 0x0001) {
          // ZIP64 extra field: only the values that overflowed are present, in this order.
          let q = e + 4
          if (usize === 0xffffffff) {
            usize = Number(extra.readBigUInt64LE(q))
            q += 8
          }
          if (csize === 0xffffffff) {
            csize = Number(extra.readBigUInt64LE(q))
            q += 8
          }
          if (offset === 0xffffffff) offset = Number(extra.readBigUInt64LE(q))
        }
        e += 4 + len
      }
      p += 46 + nameLength + extraLength + commentLength
      if (rawName.endsWith('/')) continue
      const name = normalizeEntry(rawName)
      files.add(name)
      if (want.has(name)) located.set(name, { offset, csize, method, crc })
    }
    /** @type {Map<string, Buffer>} */
    const contents = new Map()
    for (const [name, e] of located) {
      const header = await readAt(fh, e.offset, 30)
      if (header.readUInt32LE(0) !== 0x04034b50) throw new Error(`Bad local header for ${name}: the zip file is corrupt`)
      const start = e.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28)
      const raw = await readAt(fh, start, e.csize)
      let data
      if (e.method === 0) data = raw
      else if (e.method === 8) data = zlib.inflateRawSync(raw)
      else throw new Error(`Unsupported compression method ${e.method} for ${name}`)
      if (crc32(data) !== e.crc) throw new Error(`CRC mismatch for ${name}: the zip file is corrupt`)
      contents.set(name, data)
    }
    return { files, contents }
  } finally {
    await fh.close()
  }
}
