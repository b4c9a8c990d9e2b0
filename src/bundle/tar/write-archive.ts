import * as fs from 'node:fs'
import { entryFeed, type EntryFeed } from '../../source/entry-feed.js'
import type { Entry } from '../../source/walk-tree.js'
import { changedWhileBundling } from '../source-errors.js'
import type { WriteOptions } from '../write-options.js'
import { explainPieceError, FileSnapshots } from './change-check.js'
import { crc32Combine } from '../crc32.js'
import { PIECE_BUFFER_BYTES, TarLayout } from './layout.js'
import { defaultWorkers, PiecePool, type PieceResult } from './piece-pool.js'

export interface ArchiveOptions extends WriteOptions {
  /** Deflate level for a tgz; undefined writes a plain tar. */
  level: number | undefined
  /** Threads that read (and deflate); by default one per core (at most 4), fewer for small trees. */
  workers?: number
}

/** Pieces built ahead of the one being written, per worker: keeps every thread busy within bounded memory. */
const AHEAD_PER_WORKER = 2
/**
 * gzip member header: magic, deflate, no flags, no time (the entries carry it), no extra flags,
 * OS 3 (Unix) whatever the platform, so the same tree gives the same bytes everywhere.
 */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])

/**
 * Writes `entries` as a POSIX tar (ustar, PAX records for long names) at `file`, or as one gzip
 * member holding it, and returns the file's size. The tar stream is cut into fixed pieces that
 * worker threads read and compress in parallel (piece-deflate.ts: deflated, or stored where it
 * does not compress), each ended on a byte boundary, so the pieces join into one deflate stream
 * (as pigz joins its blocks): one member, which every gzip reader reads whole, even those that
 * stop after the first member. This thread only renders headers, writes pieces in order and
 * joins their CRCs.
 */
export async function writeArchive(source: readonly Entry[] | EntryFeed, file: string, options: ArchiveOptions): Promise<number> {
  const { signal } = options
  signal.throwIfAborted()
  const feed = entryFeed(source)
  const entries = feed.entries
  const layout = new TarLayout(entries, options.mtime.getTime() / 1000, feed.done)
  // By the size of the tar stream, not of the files: 70,000 files of 150 bytes are 72 MB of headers and
  // padding to deflate. While the walk goes on the size is not known: one per core.
  const workers = layout.complete
    ? Math.min(options.workers ?? Math.min(defaultWorkers(), 1 + Math.floor(layout.total / (16 << 20))), layout.pieces)
    : (options.workers ?? defaultWorkers())
  const pool = new PiecePool(workers, options.level)
  const snapshots = new FileSnapshots(entries)
  let stop: () => void = () => undefined
  const stopped = new Promise<never>((_, reject) => {
    stop = () => reject(cancelled(signal))
    signal.addEventListener('abort', stop, { once: true })
  })
  stopped.catch(() => undefined)
  // Opened while the first pieces are built: nothing waits on it before the first write.
  const opening = fs.promises.open(file, 'w')
  opening.catch(() => undefined)
  try {
    let position = 0
    const write = async (data: Buffer): Promise<void> => {
      const handle = await opening
      for (let done = 0; done < data.length;) {
        const { bytesWritten } = await handle.write(data, done, data.length - done, position + done)
        done += bytesWritten
      }
      position += data.length
      // Only appended, never patched: every byte written is final.
      await options.onFinal?.(position)
    }
    const gzip = options.level !== undefined
    /** Pieces built or queued, in order, with their file bytes (told as progress once each is written). */
    const ahead: Array<{ built: Promise<PieceResult>; sourceBytes: number }> = []
    // The buffers pieces are built in go round (here, to a worker, back): memory stays fixed.
    const buffers: ArrayBuffer[] = []
    /** Pieces built or queued ahead of the one being written, at most: every thread busy, memory bounded. */
    const mostAhead = AHEAD_PER_WORKER * pool.size + 1
    let next = 0
    let crc = 0
    let read = 0
    for (let index = 0; ; index++) {
      for (;;) {
        layout.update(feed.done)
        while (layout.ready(next) && next - index < mostAhead) {
          const task = layout.piece(next++, buffers.pop() ?? new ArrayBuffer(PIECE_BUFFER_BYTES))
          const built = pool.run(task)
          // Kept from surfacing as unhandled before its turn to be written comes.
          built.catch(() => undefined)
          ahead.push({ built, sourceBytes: task.sourceBytes })
        }
        const head = ahead[0]?.built
        // Every piece there will be is built or queued, or as many as memory allows: write the next.
        if (layout.complete || next - index >= mostAhead) break
        // Nothing to build until the walk finds more.
        if (!head) {
          await Promise.race([feed.more(entries.length, signal), stopped])
          continue
        }
        // More pieces become ready as the walk goes on: start them as they do, not only once the
        // next one is written, or a thread waits idle while the walk runs ahead of it.
        if (await Promise.race([feed.settlesFirst(head, entries.length, signal), stopped])) break
      }
      if (ahead.length === 0) break
      const { built, sourceBytes } = ahead.shift()!
      const piece = await Promise.race([built, stopped])
      const change = snapshots.check(piece.seen)
      if (change) throw changedWhileBundling(entries[change.entry]!.path, change.how)
      if (index === 0 && gzip) await write(GZIP_HEADER)
      await write(piece.data)
      buffers.push(piece.data.buffer as ArrayBuffer)
      crc = index === 0 ? piece.crc : crc32Combine(crc, piece.crc, piece.length)
      read += sourceBytes
      options.onProgress?.(read)
      signal.throwIfAborted()
    }
    if (gzip) {
      const trailer = Buffer.alloc(8)
      trailer.writeUInt32LE(crc >>> 0, 0)
      trailer.writeUInt32LE(layout.total % 2 ** 32, 4)
      await write(trailer)
    }
    await (await opening).close()
    return position
  } catch (error) {
    // Nothing half-written is left behind: the file is removed (and the workers stopped, below).
    await opening.then(handle => handle.close()).catch(() => undefined)
    await fs.promises.rm(file, { force: true }).catch(() => undefined)
    throw explainPieceError(error, entries)
  } finally {
    signal.removeEventListener('abort', stop)
    await pool.close()
  }
}

/** What a cancel rejects with: the signal's reason, as `signal.throwIfAborted()` throws it (an AbortError unless one was given). */
function cancelled(signal: AbortSignal): unknown {
  return signal.reason
}
