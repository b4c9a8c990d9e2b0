import type { Entry } from '../../source/walk-tree.js'
import { BLOCK, headLength, HeaderTemplate, padded, writeHead } from './header.js'
import { STORE_MIN } from './piece-deflate.js'

/**
 * The tar stream is cut every PIECE bytes, whatever the tree and the number of workers, so the
 * same tree always gives the same pieces and so the same compressed bytes.
 */
export const PIECE = 4 << 20
/** Deflate looks back 32 KiB: each piece is compressed knowing the 32 KiB before it. */
export const WINDOW = 32 << 10
/** Room for a piece and the window before it; its deflated form (at most a little more than the piece) fits too. */
export const PIECE_BUFFER_BYTES = PIECE + WINDOW

/**
 * One piece of the tar stream as a worker gets it: the window [from, end) with every header in
 * place and file data left as zeros, and the file ranges to read into it.
 */
export interface PieceTask {
  index: number
  /** Its first `used` bytes: from .. end of the stream, headers written; the worker fills in the file data. */
  buffer: ArrayBuffer
  used: number
  /** The first `dictionary` bytes are the 32 KiB before the piece (primes deflate); the rest is the piece. */
  dictionary: number
  last: boolean
  /**
   * Per read, the file's path; `reads` holds READ_FIELDS numbers each: where the bytes go, the
   * entry, where in the file, how many, the listed size, and the walk's inode, mtimeMs and ctimeMs
   * (NaN when the walk recorded none).
   */
  paths: string[]
  reads: Float64Array
  /** Pairs (offset in the piece, length) of file ranges long enough to be stored when they do not compress. */
  candidates: Float64Array
  /** File bytes inside the piece itself (not its window), for progress. */
  sourceBytes: number
}

export const READ_FIELDS = 8

/**
 * Where every entry sits in the tar stream. Sizes come from the walk, so the stream is known
 * before a byte is read: any piece whose entries are all known can be built on its own, in any
 * order, on any thread. The entries may still be coming (a writer fed by the walk): `update` lays
 * out the new ones, and once the list is complete the stream's end is known.
 */
export class TarLayout {
  /** Offsets of each laid-out entry's first byte (its head), then where the next one will start. */
  private readonly starts: number[] = [0]
  private readonly heads: number[] = []
  private readonly template: HeaderTemplate
  private ended = false

  /** `mtime`: every entry's time, in seconds since 1970 UTC. `entries` may grow until `update(true)`. */
  constructor(
    private readonly entries: readonly Entry[],
    mtime: number,
    complete = true
  ) {
    this.template = new HeaderTemplate(mtime)
    this.update(complete)
  }

  /** Lays out the entries added since; `complete`: there will be no more. */
  update(complete: boolean): void {
    let at = this.starts[this.heads.length]!
    for (let i = this.heads.length; i < this.entries.length; i++) {
      const entry = this.entries[i]!
      const head = headLength(entry)
      this.heads.push(head)
      at += head + (entry.kind === 'file' ? padded(entry.size) : 0)
      this.starts.push(at)
    }
    this.ended = complete
  }

  /** Whether every entry is laid out (then total and pieces are known). */
  get complete(): boolean {
    return this.ended
  }

  /** The stream's length, two zero blocks ending the archive included (once complete). */
  get total(): number {
    return this.starts[this.heads.length]! + 2 * BLOCK
  }

  get pieces(): number {
    return Math.ceil(this.total / PIECE)
  }

  /** Whether piece `index` can be built: every entry it holds is laid out. */
  ready(index: number): boolean {
    return this.ended ? index < this.pieces : (index + 1) * PIECE <= this.starts[this.heads.length]!
  }

  /** The worker's task for piece `index`, in `buffer` (PIECE_BUFFER_BYTES): headers rendered, file ranges listed. */
  piece(index: number, buffer: ArrayBuffer): PieceTask {
    const start = index * PIECE
    const end = this.pieceEnd(index)
    const from = Math.max(0, start - WINDOW)
    this.renderHeads(Buffer.from(buffer, 0, end - from).fill(0), from, end)
    return {
      index,
      buffer,
      used: end - from,
      dictionary: start - from,
      last: this.ended && end === this.total,
      ...this.listReads(from, start, end)
    }
  }

  /** Writes the headers of the entries in [from, end) into `target`, which holds those bytes. */
  private renderHeads(target: Buffer, from: number, end: number): void {
    for (let i = this.firstEntryAfter(from); i < this.heads.length && this.starts[i]! < end; i++) {
      const head = this.starts[i]!
      const headEnd = head + this.heads[i]!
      if (headEnd <= from) continue
      const entry = this.entries[i]!
      if (head >= from && headEnd <= end) {
        writeHead(this.template, entry, target, head - from)
      } else {
        // A head cut by the window's edge: rendered whole, the part inside copied.
        const whole = Buffer.alloc(this.heads[i]!)
        writeHead(this.template, entry, whole, 0)
        whole.copy(target, Math.max(0, head - from), Math.max(0, from - head), Math.min(whole.length, end - head))
      }
    }
  }

  /**
   * The reads that fill [from, end) (the window, then the piece from `start`), in stream order,
   * with the ranges long enough to go stored and the file bytes inside the piece itself. An empty
   * file has no range, but is still opened once (in the piece where its data would start) to
   * check it is still empty. One loop, no callback: it runs once per entry of every piece.
   */
  private listReads(from: number, start: number, end: number): Pick<PieceTask, 'paths' | 'reads' | 'candidates' | 'sourceBytes'> {
    const first = this.firstEntryAfter(from)
    const paths: string[] = []
    // At most one read per entry in the window and the piece: written in place, not pushed number by number.
    const reads = new Float64Array((this.firstEntryAfter(end) - first + 1) * READ_FIELDS)
    const candidates: number[] = []
    let sourceBytes = 0
    for (let i = first; i < this.heads.length && this.starts[i]! < end; i++) {
      const entry = this.entries[i]!
      if (entry.kind !== 'file') continue
      const data = this.starts[i]! + this.heads[i]!
      if (entry.size === 0) {
        if (data < start || data >= end) continue
        putRead(reads, paths.length, data - from, i, 0, 0, entry)
        paths.push(entry.diskPath)
        continue
      }
      const lo = Math.max(data, from)
      const hi = Math.min(data + entry.size, end)
      if (hi <= lo) continue
      putRead(reads, paths.length, lo - from, i, lo - data, hi - lo, entry)
      paths.push(entry.diskPath)
      // The part inside the piece itself (not the window before it) may go stored.
      const own = Math.max(lo, start)
      if (hi > own) sourceBytes += hi - own
      if (hi - own >= STORE_MIN) candidates.push(own - start, hi - own)
    }
    return { paths, reads: reads.slice(0, paths.length * READ_FIELDS), candidates: Float64Array.from(candidates), sourceBytes }
  }

  /** Where piece `index` ends: PIECE bytes on, or the stream's end. */
  private pieceEnd(index: number): number {
    const end = (index + 1) * PIECE
    return this.ended ? Math.min(this.total, end) : end
  }

  /** The first entry whose bytes reach past `offset` (binary search over the starts). */
  private firstEntryAfter(offset: number): number {
    let lo = 0
    let hi = this.heads.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.starts[mid + 1]! <= offset) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** Read `n`'s READ_FIELDS numbers into `reads`; NaN for the walk's inode and times when it recorded none. */
function putRead(reads: Float64Array, n: number, at: number, i: number, position: number, length: number, entry: Entry): void {
  const listed = entry.listed
  const r = n * READ_FIELDS
  reads[r] = at
  reads[r + 1] = i
  reads[r + 2] = position
  reads[r + 3] = length
  reads[r + 4] = entry.size
  reads[r + 5] = listed?.ino ?? NaN
  reads[r + 6] = listed?.mtimeMs ?? NaN
  reads[r + 7] = listed?.ctimeMs ?? NaN
}
