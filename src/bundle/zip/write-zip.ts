import * as zlib from 'node:zlib'
import type { Entry } from '../../source/walk-tree.js'
import { changedWhileBundling, unreadable } from '../source-errors.js'
import { isKnownCompressed, worthDeflating } from './compressibility.js'
import { crc32Combine } from './crc32.js'
import { DeflatePool, defaultWorkers, ReadError, SLOT_BYTES, type FileResult, type RangeResult } from './deflate-pool.js'
import { FileSink } from './file-sink.js'
import { CentralDirectory, endOfCentralDirectory, localHeader, LOCAL_CRC_OFFSET, METHOD_DEFLATE, METHOD_STORE } from './format.js'

/** Files up to this size go to the workers in batches and are deflated whole. */
const SMALL_MAX = 1 << 20
/** Bigger files are cut into pieces of this size, deflated in parallel, each primed with the 32 KiB before it. */
const PIECE = 1 << 20
/** A batch is sent once it holds this many entries or bytes (and never more than a slot holds). */
const BATCH_ENTRIES = 64
const BATCH_BYTES = 512 << 10
/** Output slots per worker: tasks read ahead of the writer, within this fixed memory. */
const SLOTS_PER_WORKER = 4
/** Local headers of files at least this large reserve ZIP64 size fields. */
const ZIP64_RESERVE = 0xffffffff - (64 << 20)

export interface ZipOptions {
  level?: number
  /** Threads that read and deflate; by default one per core (at most 4), fewer for small trees. */
  workers?: number
}

/** A file bigger than SMALL_MAX, written as a header, its pieces, then the header patched. */
interface BigFile {
  entry: Entry
  name: Buffer
  pieces: number
  deflate: Promise<boolean>
  method: number
  offset: number
  crc: number
  compressedSize: number
  zip64Local: boolean
}

type Job =
  | { kind: 'batch'; entries: Entry[]; files: Entry[]; slot?: number; result?: Promise<FileResult[]> }
  | { kind: 'start'; big: BigFile; slot?: undefined; result?: Promise<boolean> }
  | { kind: 'piece'; big: BigFile; index: number; length: number; slot?: number; result?: Promise<RangeResult> }

/**
 * Writes `entries` as a zip file at `file` and returns its size. Worker threads read and deflate
 * while this thread writes, in entry order; memory is the pool's fixed slots whatever the size
 * of the tree. The same entries give the same bytes, whatever the number of workers.
 */
export async function writeZip(entries: readonly Entry[], file: string, options: ZipOptions = {}): Promise<number> {
  const level = options.level ?? 6
  const bytes = entries.reduce((n, e) => n + e.size, 0)
  const workers = options.workers ?? Math.min(defaultWorkers(), 1 + Math.floor(bytes / (16 << 20)))
  const pool = new DeflatePool(workers, level, SLOTS_PER_WORKER * Math.max(1, workers))
  const sink = await FileSink.create(file).catch(async error => {
    await pool.close()
    throw error
  })
  const central = new CentralDirectory()
  const jobs = plan(entries, pool)
  const queue: Job[] = []
  let waiting: Job | undefined
  let planned = false
  const fill = (): void => {
    while (queue.length < 4 * SLOTS_PER_WORKER * pool.size) {
      if (!waiting) {
        const next = jobs.next()
        if (next.done) return void (planned = true)
        waiting = next.value
      }
      const job = waiting
      const needsSlot = job.kind === 'piece' || (job.kind === 'batch' && job.files.length > 0)
      const slot = needsSlot ? pool.acquire() : undefined
      if (needsSlot && slot === undefined) return
      start(job, pool, slot)
      // Kept from surfacing as unhandled before its turn to be written comes.
      job.result!.catch(() => undefined)
      queue.push(job)
      waiting = undefined
    }
  }
  try {
    fill()
    for (let job = queue.shift(); job; job = queue.shift()) {
      const result = await job.result
      if (job.kind === 'batch') await writeBatch(sink, central, job.entries, result as FileResult[])
      else if (job.kind === 'start') await startBig(sink, job.big, result as boolean)
      else await writePiece(sink, central, pool, job.big, job.index, job.slot!, result as RangeResult)
      if (job.slot !== undefined) pool.release(job.slot)
      fill()
    }
    if (!planned || waiting) throw new Error('the zip writer stopped before the last entry')
    const dirOffset = sink.position
    for (const chunk of central.chunks()) await sink.write(chunk)
    await sink.write(endOfCentralDirectory(central.count, dirOffset, sink.position - dirOffset))
    return await sink.close()
  } catch (error) {
    await sink.abandon()
    throw explainReadError(error, entries)
  } finally {
    await pool.close()
  }
}

/** Hands a job to the workers (a slot for its output when it has any). */
function start(job: Job, pool: DeflatePool, slot: number | undefined): void {
  job.slot = slot
  if (job.kind === 'batch') {
    job.result =
      job.files.length === 0
        ? Promise.resolve([])
        : pool.files(
            { kind: 'files', files: job.files.map(e => ({ path: e.absolute, size: e.size, deflate: !isKnownCompressed(e.path) })) },
            slot!
          )
  } else if (job.kind === 'start') {
    job.result = job.big.deflate
  } else {
    const { big, index, length } = job
    job.result = big.deflate.then(deflate =>
      pool.range({ kind: 'range', path: big.entry.absolute, start: index * PIECE, length, deflate, last: index === big.pieces - 1 }, slot!)
    )
  }
}

/** The jobs, in entry order: small files batched (a slot's worth at most), big ones in pieces. */
function* plan(entries: readonly Entry[], pool: DeflatePool): Generator<Job> {
  let batch: Entry[] = []
  let batchBytes = 0
  const take = (): Job => {
    const job: Job = { kind: 'batch', entries: batch, files: batch.filter(e => e.kind === 'file') }
    batch = []
    batchBytes = 0
    return job
  }
  for (const entry of entries) {
    if (entry.kind === 'file' && entry.size > SMALL_MAX) {
      if (batch.length > 0) yield take()
      yield* bigFileJobs(entry, pool)
      continue
    }
    const size = entry.kind === 'file' ? entry.size : 0
    if (batchBytes + size > SLOT_BYTES) yield take()
    batch.push(entry)
    batchBytes += size
    if (batch.length >= BATCH_ENTRIES || batchBytes >= BATCH_BYTES) yield take()
  }
  if (batch.length > 0) yield take()
}

function* bigFileJobs(entry: Entry, pool: DeflatePool): Generator<Job> {
  // Already-compressed formats are stored; anything else is deflated if a sample of it compresses.
  const deflate = isKnownCompressed(entry.path)
    ? Promise.resolve(false)
    : pool.probe({ kind: 'probe', path: entry.absolute, size: entry.size })
  deflate.catch(() => undefined)
  const big: BigFile = {
    entry,
    name: Buffer.from(entry.path, 'utf8'),
    pieces: Math.ceil(entry.size / PIECE),
    deflate,
    method: METHOD_STORE,
    offset: 0,
    crc: 0,
    compressedSize: 0,
    zip64Local: entry.size >= ZIP64_RESERVE
  }
  yield { kind: 'start', big }
  for (let index = 0; index < big.pieces; index++) {
    yield { kind: 'piece', big, index, length: Math.min(PIECE, entry.size - index * PIECE) }
  }
}

function unixMode(entry: Entry): number {
  const type = entry.kind === 'dir' ? 0o040000 : entry.kind === 'symlink' ? 0o120000 : 0o100000
  return type | (entry.mode & 0o7777)
}

async function writeBatch(
  sink: FileSink,
  central: CentralDirectory,
  entries: readonly Entry[],
  files: readonly FileResult[]
): Promise<void> {
  let next = 0
  for (const entry of entries) {
    let data: Buffer
    let record: { name: Buffer; method: number; crc: number; compressedSize: number; size: number; zip64Local: false }
    if (entry.kind === 'file') {
      const result = files[next++]!
      data = result.data
      record = {
        name: Buffer.from(entry.path, 'utf8'),
        method: result.deflated ? METHOD_DEFLATE : METHOD_STORE,
        crc: result.crc,
        compressedSize: data.length,
        size: result.size,
        zip64Local: false
      }
    } else {
      // A directory is its name with a slash; a symlink's content is its target, stored.
      data = Buffer.from(entry.kind === 'symlink' ? (entry.linkTarget ?? '') : '', 'utf8')
      const name = Buffer.from(entry.kind === 'dir' ? `${entry.path}/` : entry.path, 'utf8')
      record = { name, method: METHOD_STORE, crc: zlib.crc32(data), compressedSize: data.length, size: data.length, zip64Local: false }
    }
    const offset = sink.position
    await sink.write(localHeader(record))
    await sink.write(data)
    central.add({ ...record, offset, unixMode: unixMode(entry), isDir: entry.kind === 'dir' })
  }
}

async function startBig(sink: FileSink, big: BigFile, deflate: boolean): Promise<void> {
  big.method = deflate ? METHOD_DEFLATE : METHOD_STORE
  big.offset = sink.position
  await sink.write(localHeader({ name: big.name, method: big.method, crc: 0, compressedSize: 0, size: 0, zip64Local: big.zip64Local }))
}

async function writePiece(
  sink: FileSink,
  central: CentralDirectory,
  pool: DeflatePool,
  big: BigFile,
  index: number,
  slot: number,
  piece: RangeResult
): Promise<void> {
  await sink.write(piece.data)
  big.crc = index === 0 ? piece.crc : crc32Combine(big.crc, piece.crc, piece.length)
  big.compressedSize += piece.data.length
  if (index < big.pieces - 1) return
  const size = big.entry.size
  if (big.method === METHOD_DEFLATE && !worthDeflating(size, big.compressedSize)) {
    // The sample misjudged the file: write it again, stored, through this piece's slot.
    await sink.rewind(big.offset)
    await startBig(sink, big, false)
    big.compressedSize = 0
    for (let i = 0; i < big.pieces; i++) {
      const raw = await pool.range(
        {
          kind: 'range',
          path: big.entry.absolute,
          start: i * PIECE,
          length: Math.min(PIECE, size - i * PIECE),
          deflate: false,
          last: i === big.pieces - 1
        },
        slot
      )
      await sink.write(raw.data)
      big.compressedSize += raw.data.length
    }
  }
  const record = { name: big.name, method: big.method, crc: big.crc, compressedSize: big.compressedSize, size, zip64Local: big.zip64Local }
  if (!big.zip64Local && (size >= 0xffffffff || big.compressedSize >= 0xffffffff)) {
    throw new Error(`${big.entry.path} grew past 4 GiB while it was being bundled`)
  }
  const header = localHeader(record)
  await sink.patch(big.offset + LOCAL_CRC_OFFSET, header.subarray(LOCAL_CRC_OFFSET, 26))
  if (big.zip64Local) await sink.patch(big.offset + 30 + big.name.length, header.subarray(30 + big.name.length))
  central.add({ ...record, offset: big.offset, unixMode: unixMode(big.entry), isDir: false })
}

/** A file the workers could not read, named as the user knows it (its path in the bundle). */
function explainReadError(error: unknown, entries: readonly Entry[]): unknown {
  if (!(error instanceof ReadError)) return error
  const name = entries.find(e => e.absolute === error.path)?.path ?? error.path
  if (error.code !== 'ECHANGED') return unreadable(name, error)
  return changedWhileBundling(name, /\(it grew\)$/.test(error.message) ? 'it grew' : 'it is shorter than when it was listed', error)
}
