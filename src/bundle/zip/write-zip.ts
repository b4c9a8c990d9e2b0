import { entryFeed, type EntryFeed } from '../../source/entry-feed.js'
import type { Entry } from '../../source/walk-tree.js'
import { changedWhileBundling, unreadable, type Change } from '../source-errors.js'
import type { WriteOptions } from '../write-options.js'
import { bigFile, pieceLength, PIECE, startBig, writePiece, type BigFile } from './big-file.js'
import { isKnownCompressed } from './compressibility.js'
import { BATCH_FIELDS, ENTRY_DIR, ENTRY_FILE, ENTRY_SYMLINK, RESULT_FIELDS } from './batch-fields.js'
import {
  DeflatePool,
  defaultWorkers,
  ReadError,
  SLOT_BYTES,
  sourceFile,
  type BatchResult,
  type FilesTask,
  type RangeResult
} from './deflate-pool.js'
import { FileSink } from './file-sink.js'
import { CentralDirectory, endOfCentralDirectory, METHOD_DEFLATE, METHOD_STORE, zipTime, type ZipTime } from './format.js'

/** Files up to this size go to the workers in batches and are deflated whole. */
const SMALL_MAX = PIECE
/**
 * A batch is sent once it holds this many entries or bytes (and never more than a slot holds).
 * Every batch is a message each way that wakes a thread: 256 made 270 round trips on a tree of
 * 70,000 tiny files, and on 2 busy cores each wake-up cost as much as a few files.
 */
const BATCH_ENTRIES = 1024
/** A local header's bytes besides the name (30 fixed, 9 of UT field), and the slash of a directory name. */
const HEADER_ROOM = 40
/** Small files that, like 16 MB, are worth one more worker. */
const FILES_PER_WORKER = 4000
const BATCH_BYTES = 512 << 10
/** Output slots per worker: tasks read ahead of the writer, within this fixed memory. */
const SLOTS_PER_WORKER = 4

export interface ZipOptions {
  level?: number
  /** Threads that read and deflate; by default one per core (at most 4), fewer for small trees. */
  workers?: number
}

type Job =
  | { kind: 'batch'; entries: Entry[]; bytes: number; slot?: number; result?: Promise<BatchResult> }
  | { kind: 'start'; big: BigFile; slot?: undefined; result?: Promise<boolean> }
  | { kind: 'piece'; big: BigFile; index: number; length: number; slot?: number; result?: Promise<RangeResult> }

/**
 * Writes `entries` as a zip file at `file` and returns its size. Worker threads read and deflate
 * while this thread writes, in entry order; memory is the pool's fixed slots whatever the size
 * of the tree. The same entries and mtime give the same bytes, whatever the number of workers.
 * A cancel closes the pool at once (its tasks are rejected), so the writer stops within one task.
 */
export async function writeZip(source: readonly Entry[] | EntryFeed, file: string, options: WriteOptions & ZipOptions): Promise<number> {
  const { signal } = options
  signal.throwIfAborted()
  const level = options.level ?? 6
  const time = zipTime(options.mtime)
  const feed = entryFeed(source)
  const entries = feed.entries
  const bytes = entries.reduce((n, e) => n + e.size, 0)
  // A worker per 16 MB or per 4,000 files: opening and setting up a deflate per file costs as much as
  // deflating a few KB, so a tree of many tiny files is worth more than one thread too. While the
  // walk goes on the tree's size is not known: one per core.
  const files = entries.reduce((n, e) => n + (e.kind === 'file' ? 1 : 0), 0)
  const workers =
    options.workers ??
    (feed.done ? Math.min(defaultWorkers(), 1 + Math.floor(bytes / (16 << 20) + files / FILES_PER_WORKER)) : defaultWorkers())
  const pool = new DeflatePool(workers, level, SLOTS_PER_WORKER * Math.max(1, workers))
  const onAbort = (): void => void pool.close()
  signal.addEventListener('abort', onAbort, { once: true })
  // Opened while the first jobs go to the threads: awaited first, they would start only when the walk
  // next lets the event loop run (a directory or more of lstat).
  const opening = FileSink.create(file, options.onFinal)
  opening.catch(() => undefined)
  const central = new CentralDirectory()
  const jobs = plan(feed, pool, time)
  const queue: Job[] = []
  let waiting: Job | undefined
  let planned = false
  /** Whether the planner last stopped for want of entries (not of room): more come as the walk finds them. */
  let starved = false
  let read = 0
  const fill = (): void => {
    starved = false
    while (queue.length < 4 * SLOTS_PER_WORKER * pool.size) {
      if (!waiting) {
        const next = jobs.next()
        if (next.done) return void (planned = true)
        // Every entry found so far is planned: more once the walk finds them.
        if (next.value === STARVED) return void (starved = true)
        waiting = next.value
      }
      const job = waiting
      const needsSlot = job.kind !== 'start'
      const slot = needsSlot ? pool.acquire() : undefined
      if (needsSlot && slot === undefined) return
      start(job, pool, slot, time)
      // Kept from surfacing as unhandled before its turn to be written comes.
      job.result!.catch(() => undefined)
      queue.push(job)
      waiting = undefined
    }
  }
  try {
    fill()
    for (;;) {
      const job = queue[0]
      if (!job) {
        if (planned) break
        await feed.more(entries.length, signal)
        fill()
        continue
      }
      // While the next job runs, start the entries the walk finds meanwhile, or a thread waits idle
      // while the walk runs ahead of it.
      if (starved && !(await feed.settlesFirst(job.result!, entries.length, signal))) {
        fill()
        continue
      }
      queue.shift()
      const result = await job.result
      signal.throwIfAborted()
      const sink = await opening
      if (job.kind === 'batch') await writeBatch(sink, central, job.entries, result as BatchResult, time)
      else if (job.kind === 'start') await startBig(sink, job.big, result as boolean)
      else await writePiece(sink, central, pool, job.big, job.index, job.slot!, result as RangeResult)
      if (job.slot !== undefined) pool.release(job.slot)
      const done = job.kind === 'batch' ? job.bytes : job.kind === 'piece' ? job.length : 0
      if (done > 0) options.onProgress?.((read += done))
      fill()
    }
    if (!planned || waiting) throw new Error('the zip writer stopped before the last entry')
    const sink = await opening
    const dirOffset = sink.position
    for (const chunk of central.chunks()) await sink.write(chunk)
    await sink.write(endOfCentralDirectory(central.count, dirOffset, sink.position - dirOffset))
    return await sink.close()
  } catch (error) {
    await opening.then(
      sink => sink.abandon(),
      () => undefined
    )
    // Once cancelled, whatever the closed pool rejected with is the cancel.
    signal.throwIfAborted()
    throw explainReadError(error, entries)
  } finally {
    signal.removeEventListener('abort', onAbort)
    await pool.close()
  }
}

/** Hands a job to the workers (a slot for its output when it has any). */
function start(job: Job, pool: DeflatePool, slot: number | undefined, time: ZipTime): void {
  job.slot = slot
  if (job.kind === 'batch') {
    job.result = pool.files(filesTask(job.entries, time), slot!)
  } else if (job.kind === 'start') {
    job.result = job.big.deflate
  } else {
    const { big, index, length } = job
    const last = index === big.pieces - 1
    job.result = big.deflate.then(deflate =>
      pool.range({ kind: 'range', file: sourceFile(big.entry), start: index * PIECE, length, deflate, last }, slot!)
    )
  }
}

/** What the planner yields when it has planned every entry found so far and the walk goes on. */
const STARVED = Symbol('starved')

/**
 * The jobs, in entry order: small files batched (a slot's worth at most), big ones in pieces. A
 * batch is only cut short by the end of the feed, so the batches are the same whether the entries
 * came whole or from the walk as it went.
 */
function* plan(feed: EntryFeed, pool: DeflatePool, time: ZipTime): Generator<Job | typeof STARVED> {
  const entries = feed.entries
  let batch: Entry[] = []
  let batchBytes = 0
  /** What the batch takes in its slot: headers and data (a symlink's target is a name's length at most). */
  let slotBytes = 0
  const take = (): Job => {
    const job: Job = { kind: 'batch', entries: batch, bytes: batchBytes }
    batch = []
    batchBytes = 0
    slotBytes = 0
    return job
  }
  for (let i = 0; ;) {
    if (i === entries.length) {
      if (feed.done) break
      yield STARVED
      continue
    }
    const entry = entries[i++]!
    if (entry.kind === 'file' && entry.size > SMALL_MAX) {
      if (batch.length > 0) yield take()
      yield* bigFileJobs(entry, pool, time)
      continue
    }
    const size = entry.kind === 'file' ? entry.size : 0
    const room = size + HEADER_ROOM + 2 * Buffer.byteLength(entry.path) + Buffer.byteLength(entry.linkTarget ?? '')
    if (slotBytes + room > SLOT_BYTES) yield take()
    batch.push(entry)
    batchBytes += size
    slotBytes += room
    if (batch.length >= BATCH_ENTRIES || batchBytes >= BATCH_BYTES) yield take()
  }
  if (batch.length > 0) yield take()
}

function* bigFileJobs(entry: Entry, pool: DeflatePool, time: ZipTime): Generator<Job> {
  // Already-compressed formats are stored; anything else is deflated if a sample of it compresses.
  const deflate = isKnownCompressed(entry.path) ? Promise.resolve(false) : pool.probe({ kind: 'probe', file: sourceFile(entry) })
  deflate.catch(() => undefined)
  const big = bigFile(entry, deflate, time)
  yield { kind: 'start', big }
  for (let index = 0; index < big.pieces; index++) yield { kind: 'piece', big, index, length: pieceLength(big, index) }
}

function unixMode(entry: Entry): number {
  const type = entry.kind === 'dir' ? 0o040000 : entry.kind === 'symlink' ? 0o120000 : 0o100000
  return type | (entry.mode & 0o7777)
}

/** What a worker needs to write a batch's entries, named as in the zip (see FilesTask). */
function filesTask(entries: readonly Entry[], time: ZipTime): FilesTask {
  const fields = new Float64Array(entries.length * BATCH_FIELDS)
  let names = ''
  entries.forEach((entry, i) => {
    const at = i * BATCH_FIELDS
    if (entry.kind === 'dir') {
      names += `${entry.path}/\0\0`
      fields[at] = ENTRY_DIR
    } else if (entry.kind === 'symlink') {
      names += `${entry.path}\0${entry.linkTarget ?? ''}\0`
      fields[at] = ENTRY_SYMLINK
    } else {
      names += `${entry.path}\0${entry.diskPath}\0`
      fields[at] = ENTRY_FILE
      fields[at + 1] = entry.size
      fields[at + 2] = isKnownCompressed(entry.path) ? 0 : 1
    }
    fields[at + 3] = entry.listed?.ino ?? NaN
    fields[at + 4] = entry.listed?.mtimeMs ?? NaN
    fields[at + 5] = entry.listed?.ctimeMs ?? NaN
  })
  return { kind: 'files', names, fields, time }
}

/**
 * A batch of small entries: the worker wrote the local headers and the data into the slot as they
 * go in the zip, so it goes to the file in one write; here only the central directory grows.
 */
async function writeBatch(
  sink: FileSink,
  central: CentralDirectory,
  entries: readonly Entry[],
  batch: BatchResult,
  time: ZipTime
): Promise<void> {
  const base = sink.position
  const { table } = batch
  entries.forEach((entry, i) => {
    const r = i * RESULT_FIELDS
    central.add({
      name: Buffer.from(entry.kind === 'dir' ? `${entry.path}/` : entry.path, 'utf8'),
      method: table[r + 3] === 1 ? METHOD_DEFLATE : METHOD_STORE,
      crc: table[r]!,
      compressedSize: table[r + 2]!,
      size: table[r + 1]!,
      zip64Local: false,
      time,
      offset: base + table[r + 4]!,
      unixMode: unixMode(entry),
      isDir: entry.kind === 'dir'
    })
  })
  await sink.write(batch.data)
}

/** A file the workers could not read, named as the user knows it (its path in the bundle). */
function explainReadError(error: unknown, entries: readonly Entry[]): unknown {
  if (!(error instanceof ReadError)) return error
  const name = entries.find(e => e.diskPath === error.path)?.path ?? error.path
  if (error.code !== 'ECHANGED') return unreadable(name, error)
  return changedWhileBundling(name, (error.how ?? 'it was modified') as Change, error)
}
