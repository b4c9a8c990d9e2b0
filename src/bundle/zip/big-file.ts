import type { Entry } from '../../source/walk-tree.js'
import { changedWhileBundling } from '../source-errors.js'
import { worthDeflating } from './compressibility.js'
import { crc32Combine } from '../crc32.js'
import { sourceFile, type DeflatePool, type RangeResult } from './deflate-pool.js'
import type { FileSink } from './file-sink.js'
import { localHeader, LOCAL_CRC_OFFSET, METHOD_DEFLATE, METHOD_STORE, type CentralDirectory, type ZipTime } from './format.js'

/** Bigger files are cut into pieces of this size, deflated in parallel, each primed with the 32 KiB before it. */
export const PIECE = 1 << 20
/** Local headers of files at least this large reserve ZIP64 size fields. */
const ZIP64_RESERVE = 0xffffffff - (64 << 20)

/** A file bigger than a batch, written as a header, its pieces, then the header patched. */
export interface BigFile {
  entry: Entry
  name: Buffer
  pieces: number
  deflate: Promise<boolean>
  method: number
  offset: number
  crc: number
  /** CRC of the last 32 KiB of the piece written last: the window the next piece must have been primed with. */
  tailCrc: number
  compressedSize: number
  zip64Local: boolean
  time: ZipTime
}

export function bigFile(entry: Entry, deflate: Promise<boolean>, time: ZipTime): BigFile {
  return {
    entry,
    name: Buffer.from(entry.path, 'utf8'),
    pieces: Math.ceil(entry.size / PIECE),
    deflate,
    method: METHOD_STORE,
    offset: 0,
    crc: 0,
    tailCrc: 0,
    compressedSize: 0,
    zip64Local: entry.size >= ZIP64_RESERVE,
    time
  }
}

export function pieceLength(big: BigFile, index: number): number {
  return Math.min(PIECE, big.entry.size - index * PIECE)
}

export async function startBig(sink: FileSink, big: BigFile, deflate: boolean): Promise<void> {
  big.method = deflate ? METHOD_DEFLATE : METHOD_STORE
  big.offset = sink.position
  // The header is patched after the data, and the entry may be rewritten stored: not final until then.
  sink.hold(big.offset)
  const { name, method, zip64Local, time } = big
  await sink.write(localHeader({ name, method, crc: 0, compressedSize: 0, size: 0, zip64Local, time }))
}

/**
 * Writes one piece; after the last, patches the header and adds the entry to the directory. A
 * piece deflated with a window that is not what the piece before it held (the file was rewritten
 * between the two reads) would inflate to other bytes than its CRC says: refused.
 */
export async function writePiece(
  sink: FileSink,
  central: CentralDirectory,
  pool: DeflatePool,
  big: BigFile,
  index: number,
  slot: number,
  piece: RangeResult
): Promise<void> {
  if (index > 0 && big.method === METHOD_DEFLATE && piece.windowCrc !== big.tailCrc) {
    throw changedWhileBundling(big.entry.path, 'its content differed between two reads')
  }
  await sink.write(piece.data)
  big.crc = index === 0 ? piece.crc : crc32Combine(big.crc, piece.crc, piece.length)
  big.tailCrc = piece.tailCrc
  big.compressedSize += piece.data.length
  if (index < big.pieces - 1) return
  const size = big.entry.size
  if (big.method === METHOD_DEFLATE && !worthDeflating(size, big.compressedSize)) await rewriteStored(sink, pool, big, slot)
  const { name, method, crc, compressedSize, zip64Local, time } = big
  const record = { name, method, crc, compressedSize, size, zip64Local, time }
  if (!big.zip64Local && (size >= 0xffffffff || big.compressedSize >= 0xffffffff)) {
    throw new Error(`${big.entry.path} grew past 4 GiB while it was being bundled`)
  }
  const header = localHeader(record)
  await sink.patch(big.offset + LOCAL_CRC_OFFSET, header.subarray(LOCAL_CRC_OFFSET, 26))
  if (big.zip64Local) await sink.patch(big.offset + 30 + big.name.length, header.subarray(30 + big.name.length))
  central.add({ ...record, offset: big.offset, unixMode: 0o100000 | (big.entry.mode & 0o7777), isDir: false })
  sink.release()
}

/**
 * The sample misjudged the file: write it again, stored, through the last piece's slot. The file
 * is read a second time, so the CRC is computed again from what is written and must equal the
 * first: the header must describe these bytes, not the ones read before.
 */
async function rewriteStored(sink: FileSink, pool: DeflatePool, big: BigFile, slot: number): Promise<void> {
  await sink.rewind(big.offset)
  await startBig(sink, big, false)
  big.compressedSize = 0
  let crc = 0
  for (let i = 0; i < big.pieces; i++) {
    const length = pieceLength(big, i)
    const raw = await pool.range(
      { kind: 'range', file: sourceFile(big.entry), start: i * PIECE, length, deflate: false, last: i === big.pieces - 1 },
      slot
    )
    crc = i === 0 ? raw.crc : crc32Combine(crc, raw.crc, length)
    await sink.write(raw.data)
    big.compressedSize += raw.data.length
  }
  if (crc !== big.crc) throw changedWhileBundling(big.entry.path, 'its content differed between two reads')
}
