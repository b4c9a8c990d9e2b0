import * as fs from 'node:fs'
import { inflateRawSync } from 'node:zlib'
import { MAX_WANTED_SIZE, normalizeName, type ArchiveEntry, type ArchiveIndex } from './archive-entry.js'

const EOCD = 0x06054b50
const ZIP64_LOCATOR = 0x07064b50
const ZIP64_EOCD = 0x06064b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
const UNIX = 3
const S_IFMT = 0o170000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000

/** Thrown for bytes that are not a zip file: the caller names the input. */
export class CorruptArchive extends Error {}

/**
 * A zip's entries from its central directory (ZIP64 too), reading only the directory and the
 * wanted files: a bundle of gigabytes costs a few reads, not its size in memory.
 */
export async function readZipIndex(file: string, wanted: readonly string[]): Promise<ArchiveIndex> {
  const handle = await fs.promises.open(file, 'r')
  try {
    const size = (await handle.stat()).size
    const readAt = async (position: number, length: number): Promise<Buffer> => {
      if (position < 0 || length < 0 || position + length > size) throw new CorruptArchive('a record points outside the file')
      const buffer = Buffer.alloc(length)
      const { bytesRead } = await handle.read(buffer, 0, length, position)
      if (bytesRead !== length) throw new CorruptArchive('the file ends early')
      return buffer
    }
    // The end record sits in the last 22 bytes plus a comment of up to 65,535.
    const tailLength = Math.min(size, 22 + 0xffff)
    const tail = await readAt(size - tailLength, tailLength)
    let at = -1
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i
        break
      }
    }
    if (at < 0) throw new CorruptArchive('no end of central directory record')
    let count = tail.readUInt16LE(at + 10)
    let cdSize = tail.readUInt32LE(at + 12)
    let cdOffset = tail.readUInt32LE(at + 16)
    const eocdPosition = size - tailLength + at
    if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && eocdPosition >= 20) {
      const locator = await readAt(eocdPosition - 20, 20)
      if (locator.readUInt32LE(0) === ZIP64_LOCATOR) {
        const z64 = await readAt(Number(locator.readBigUInt64LE(8)), 56)
        if (z64.readUInt32LE(0) !== ZIP64_EOCD) throw new CorruptArchive('bad ZIP64 end record')
        count = Number(z64.readBigUInt64LE(32))
        cdSize = Number(z64.readBigUInt64LE(40))
        cdOffset = Number(z64.readBigUInt64LE(48))
      }
    }
    const cd = await readAt(cdOffset, cdSize)
    const entries: ArchiveEntry[] = []
    const located = new Map<string, { offset: number; csize: number; method: number }>()
    let p = 0
    for (let n = 0; n < count; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw new CorruptArchive('bad central directory entry')
      const madeBy = cd.readUInt16LE(p + 4) >> 8
      const method = cd.readUInt16LE(p + 10)
      let csize = cd.readUInt32LE(p + 20)
      let usize = cd.readUInt32LE(p + 24)
      const nameLength = cd.readUInt16LE(p + 28)
      const extraLength = cd.readUInt16LE(p + 30)
      const commentLength = cd.readUInt16LE(p + 32)
      const external = cd.readUInt32LE(p + 38)
      let offset = cd.readUInt32LE(p + 42)
      const raw = cd.subarray(p + 46, p + 46 + nameLength).toString('utf8')
      const extra = cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength)
      for (let e = 0; e + 4 <= extra.length;) {
        const id = extra.readUInt16LE(e)
        const length = extra.readUInt16LE(e + 2)
        if (id === 0x0001) {
          // ZIP64: only the values that overflowed are present, in this order.
          let q = e + 4
          if (usize === 0xffffffff && q + 8 <= extra.length) {
            usize = Number(extra.readBigUInt64LE(q))
            q += 8
          }
          if (csize === 0xffffffff && q + 8 <= extra.length) {
            csize = Number(extra.readBigUInt64LE(q))
            q += 8
          }
          if (offset === 0xffffffff && q + 8 <= extra.length) offset = Number(extra.readBigUInt64LE(q))
        }
        e += 4 + length
      }
      p += 46 + nameLength + extraLength + commentLength
      const unixMode = madeBy === UNIX ? external >>> 16 : 0
      const isDir = (unixMode & S_IFMT) === S_IFDIR || raw.endsWith('/') || (external & 0x10) !== 0
      const kind = isDir ? 'dir' : (unixMode & S_IFMT) === S_IFLNK ? 'symlink' : 'file'
      // Without unix attributes (a zip made on Windows) the agent applies its defaults.
      const mode = unixMode ? unixMode & 0o7777 : isDir ? 0o755 : 0o644
      const entry: ArchiveEntry = { raw, path: normalizeName(raw), kind, mode, size: usize }
      entries.push(entry)
      if (kind === 'file' && wanted.includes(entry.path)) located.set(entry.path, { offset, csize, method })
    }
    const contents = new Map<string, Buffer>()
    for (const [name, e] of located) {
      if (e.csize > MAX_WANTED_SIZE) continue
      const header = await readAt(e.offset, 30)
      if (header.readUInt32LE(0) !== LOCAL) throw new CorruptArchive(`bad local header for ${name}`)
      const data = await readAt(e.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28), e.csize)
      if (e.method === 0) contents.set(name, data)
      else if (e.method === 8) contents.set(name, inflateRawSync(data, { maxOutputLength: MAX_WANTED_SIZE }))
      else throw new CorruptArchive(`${name} uses compression method ${e.method}, which the CodeDeploy agent cannot unpack`)
    }
    return { entries, contents }
  } finally {
    await handle.close()
  }
}
