/**
 * ZIP record encoding (APPNOTE 6.3.x): local headers, central directory headers, end records,
 * with ZIP64 extra fields where sizes, offsets or the entry count do not fit 32/16 bits.
 */

export const METHOD_STORE = 0
export const METHOD_DEFLATE = 8
const FLAG_UTF8 = 0x0800
const MADE_BY_UNIX = (3 << 8) | 30
const MAX32 = 0xffffffff
const MAX16 = 0xffff
/** The extended-timestamp extra field ("UT", 0x5455) with the modification time only: 9 bytes, local and central alike. */
const UT_LENGTH = 9

/**
 * An entry's modification time in both forms a reader may use. DOS date/time has no zone (Info-ZIP
 * writes local time, and readers take it as their own local time), so on its own a bundle made in
 * UTC would unpack hours off on an instance in another zone. The UT field holds the exact UTC
 * seconds, and unzip, Python and the agent's rubyzip prefer it; the DOS fields carry the same
 * time in UTC (what a UTC runner writes anyway), clamped to the 1980-2107 range they can hold.
 */
export interface ZipTime {
  dosTime: number
  dosDate: number
  unixSeconds: number
}

export function zipTime(mtime: Date): ZipTime {
  const unixSeconds = Math.min(0xffffffff, Math.max(0, Math.floor(mtime.getTime() / 1000)))
  // DOS time counts 2-second steps: an odd second rounds up, as Info-ZIP does, so a reader that
  // only sees DOS time never takes the file for older than it is.
  const even = (unixSeconds + (unixSeconds & 1)) * 1000
  const d = new Date(Math.min(Math.max(even, Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31, 23, 59, 58)))
  return {
    dosTime: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    dosDate: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    unixSeconds
  }
}

function utExtra(time: ZipTime): Buffer {
  const b = Buffer.alloc(UT_LENGTH)
  writeUtExtra(time, b, 0)
  return b
}

function writeUtExtra(time: ZipTime, b: Buffer, at: number): number {
  b.writeUInt16LE(0x5455, at)
  b.writeUInt16LE(5, at + 2)
  b.writeUInt8(1, at + 4) // flags: modification time present
  return b.writeUInt32LE(time.unixSeconds, at + 5)
}

export interface CentralRecord {
  name: Buffer
  method: number
  crc: number
  compressedSize: number
  size: number
  offset: number
  /** st_mode: type and permission bits. */
  unixMode: number
  isDir: boolean
  zip64Local: boolean
  time: ZipTime
}

/**
 * A local header; with `zip64`, sizes live in an extra field (reserved even while unknown), placed
 * first so it sits right after the name, then the UT timestamp.
 */
export function localHeader(r: LocalRecord): Buffer {
  const b = Buffer.allocUnsafe(localHeaderLength(r))
  writeLocalHeader(r, b, 0)
  return b
}

type LocalRecord = Omit<CentralRecord, 'offset' | 'unixMode' | 'isDir'>

function localHeaderLength(r: LocalRecord): number {
  return 30 + r.name.length + (r.zip64Local ? 20 : 0) + UT_LENGTH
}

/** Encodes a local header into `b` at `at` (room for localHeaderLength bytes). The deflate worker writes the same bytes for a batch. */
function writeLocalHeader(r: LocalRecord, b: Buffer, at: number): number {
  const extraLength = (r.zip64Local ? 20 : 0) + UT_LENGTH
  b.writeUInt32LE(0x04034b50, at)
  b.writeUInt16LE(r.zip64Local ? 45 : 20, at + 4)
  b.writeUInt16LE(FLAG_UTF8, at + 6)
  b.writeUInt16LE(r.method, at + 8)
  b.writeUInt16LE(r.time.dosTime, at + 10)
  b.writeUInt16LE(r.time.dosDate, at + 12)
  b.writeUInt32LE(r.crc >>> 0, at + 14)
  b.writeUInt32LE(r.zip64Local ? MAX32 : r.compressedSize, at + 18)
  b.writeUInt32LE(r.zip64Local ? MAX32 : r.size, at + 22)
  b.writeUInt16LE(r.name.length, at + 26)
  b.writeUInt16LE(extraLength, at + 28)
  r.name.copy(b, at + 30)
  let end = at + 30 + r.name.length
  if (r.zip64Local) end += zip64Extra([r.size, r.compressedSize]).copy(b, end)
  return writeUtExtra(r.time, b, end)
}

/** Offset of the CRC field inside a local header, for patching after streamed data. */
export const LOCAL_CRC_OFFSET = 14

/**
 * The central directory as it grows: encoded headers packed into 1 MiB blocks, about 100 bytes
 * an entry, rather than an object per entry kept until the end.
 */
export class CentralDirectory {
  private readonly blocks: Buffer[] = []
  private block = Buffer.alloc(0)
  private used = 0
  count = 0

  add(record: CentralRecord): void {
    // Most entries need no ZIP64 field: encoded in place, without the three buffers centralHeader makes.
    const plain = !record.zip64Local && record.size < MAX32 && record.compressedSize < MAX32 && record.offset < MAX32
    const header = plain ? undefined : centralHeader(record)
    const length = header?.length ?? 46 + record.name.length + UT_LENGTH
    if (this.used + length > this.block.length) {
      if (this.used > 0) this.blocks.push(this.block.subarray(0, this.used))
      this.block = Buffer.allocUnsafe(Math.max(1 << 20, length))
      this.used = 0
    }
    if (header) header.copy(this.block, this.used)
    else writeUtExtra(record.time, this.block, writeCentralFixed(record, UT_LENGTH, this.block, this.used))
    this.used += length
    this.count++
  }

  /** The encoded directory, block by block. */
  *chunks(): Generator<Buffer> {
    yield* this.blocks
    if (this.used > 0) yield this.block.subarray(0, this.used)
  }
}

export function centralHeader(r: CentralRecord): Buffer {
  const big: number[] = []
  const size = r.size >= MAX32 || r.zip64Local ? (big.push(r.size), MAX32) : r.size
  const compressed = r.compressedSize >= MAX32 || r.zip64Local ? (big.push(r.compressedSize), MAX32) : r.compressedSize
  const offset = r.offset >= MAX32 ? (big.push(r.offset), MAX32) : r.offset
  const extra = big.length ? Buffer.concat([zip64Extra(big), utExtra(r.time)]) : utExtra(r.time)
  const b = Buffer.alloc(46 + r.name.length + extra.length)
  extra.copy(b, writeCentralFixed({ ...r, size, compressedSize: compressed, offset }, extra.length, b, 0, big.length > 0))
  return b
}

/** The 46 fixed bytes and the name (sizes and offset as given: MAX32 when in a ZIP64 field); returns where the extra goes. */
function writeCentralFixed(r: CentralRecord, extraLength: number, b: Buffer, at: number, zip64 = false): number {
  b.writeUInt32LE(0x02014b50, at)
  b.writeUInt16LE(MADE_BY_UNIX, at + 4)
  b.writeUInt16LE(zip64 ? 45 : 20, at + 6)
  b.writeUInt16LE(FLAG_UTF8, at + 8)
  b.writeUInt16LE(r.method, at + 10)
  b.writeUInt16LE(r.time.dosTime, at + 12)
  b.writeUInt16LE(r.time.dosDate, at + 14)
  b.writeUInt32LE(r.crc >>> 0, at + 16)
  b.writeUInt32LE(r.compressedSize, at + 20)
  b.writeUInt32LE(r.size, at + 24)
  b.writeUInt16LE(r.name.length, at + 28)
  b.writeUInt16LE(extraLength, at + 30)
  b.writeUInt16LE(0, at + 32) // comment length
  b.writeUInt16LE(0, at + 34) // disk number
  b.writeUInt16LE(0, at + 36) // internal attributes
  b.writeUInt32LE((((r.unixMode & 0xffff) << 16) | (r.isDir ? 0x10 : 0)) >>> 0, at + 38)
  b.writeUInt32LE(r.offset, at + 42)
  return at + 46 + r.name.copy(b, at + 46)
}

/** The end records; ZIP64 ones first when the count, size or offset of the directory needs them. */
export function endOfCentralDirectory(count: number, dirOffset: number, dirSize: number): Buffer {
  const needs64 = count >= MAX16 || dirOffset >= MAX32 || dirSize >= MAX32
  const parts: Buffer[] = []
  if (needs64) {
    const rec = Buffer.alloc(56)
    rec.writeUInt32LE(0x06064b50, 0)
    rec.writeBigUInt64LE(44n, 4)
    rec.writeUInt16LE(MADE_BY_UNIX, 12)
    rec.writeUInt16LE(45, 14)
    rec.writeUInt32LE(0, 16)
    rec.writeUInt32LE(0, 20)
    rec.writeBigUInt64LE(BigInt(count), 24)
    rec.writeBigUInt64LE(BigInt(count), 32)
    rec.writeBigUInt64LE(BigInt(dirSize), 40)
    rec.writeBigUInt64LE(BigInt(dirOffset), 48)
    const locator = Buffer.alloc(20)
    locator.writeUInt32LE(0x07064b50, 0)
    locator.writeUInt32LE(0, 4)
    locator.writeBigUInt64LE(BigInt(dirOffset + dirSize), 8)
    locator.writeUInt32LE(1, 16)
    parts.push(rec, locator)
  }
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(0, 4)
  end.writeUInt16LE(0, 6)
  end.writeUInt16LE(Math.min(count, MAX16), 8)
  end.writeUInt16LE(Math.min(count, MAX16), 10)
  end.writeUInt32LE(Math.min(dirSize, MAX32), 12)
  end.writeUInt32LE(Math.min(dirOffset, MAX32), 16)
  end.writeUInt16LE(0, 20)
  parts.push(end)
  return Buffer.concat(parts)
}

function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length)
  b.writeUInt16LE(0x0001, 0)
  b.writeUInt16LE(8 * values.length, 2)
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i))
  return b
}
