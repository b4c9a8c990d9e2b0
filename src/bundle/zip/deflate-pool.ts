import * as os from 'node:os'
import { Worker } from 'node:worker_threads'
import type { Entry, FileVersion } from '../../source/walk-tree.js'
import { WORKER_SOURCE } from './deflate-worker.js'

/** A file to read, and what it must still be at every read (see checkVersion in the worker). */
export interface SourceFile {
  path: string
  size: number
  listed?: FileVersion | undefined
}

export function sourceFile(entry: Entry): SourceFile {
  return { path: entry.diskPath, size: entry.size, listed: entry.listed }
}

/**
 * Small entries (files, directories, symlinks), written into a slot as they go in the zip: each
 * local header, then the file read, checksummed and (when deflate is 1) deflated; so a batch goes
 * to the file in one write. Packed in two strings and one array rather than an object per entry:
 * copying 256 objects to the worker, and 256 results back, cost a worker more than reading the files.
 */
export interface FilesTask {
  kind: 'files'
  /** Two strings per entry, each ended by a NUL (which no file name holds): its name in the zip, then a file's path or a link's target ('' for a directory). */
  names: string
  fields: Float64Array
  time: { dosTime: number; dosDate: number; unixSeconds: number }
}
/** Bytes [start, start + length) of a big file, as one piece of a longer deflate stream. */
export interface RangeTask {
  kind: 'range'
  file: SourceFile
  start: number
  length: number
  deflate: boolean
  /** The last piece ends the deflate stream (the others end on a byte boundary) and the file. */
  last: boolean
}
/** Does the start of this file compress at all? */
export interface ProbeTask {
  kind: 'probe'
  file: SourceFile
}

export interface BatchResult {
  /** Per entry, RESULT_FIELDS numbers: what the central directory needs, and where its local header starts in `data`. */
  table: Float64Array
  /** Headers and data of the whole batch, in shared memory: valid until the slot is released. */
  data: Buffer
}
export interface RangeResult {
  crc: number
  length: number
  data: Buffer
  /** CRC of the 32 KiB before the piece, as read to prime the deflate (0 when none was read). */
  windowCrc: number
  /** CRC of the piece's last 32 KiB: what the next piece's window must be. */
  tailCrc: number
}

/** What a worker reports when it cannot read a file: which one and why. */
export class ReadError extends Error {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    message: string,
    /** For a file that changed (code ECHANGED): how. */
    readonly how?: string
  ) {
    super(message)
    this.name = 'ReadError'
  }
}

/** Output room of one task: a batch of small files, or one piece (deflate may add a little). */
export const SLOT_BYTES = (1 << 20) + (1 << 16)

/** A worker allocates little JS (file data lives in shared memory): a small young generation keeps each thread's heap to a few MB. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2 }

interface WorkerReply {
  id: number
  result?: {
    table?: Float64Array
    used?: number
    crc?: number
    length?: number
    windowCrc?: number
    tailCrc?: number
    compresses?: boolean
  }
  error?: { message: string; code?: string; path?: string; how?: string }
}

interface Pending {
  resolve(value: NonNullable<WorkerReply['result']>): void
  reject(error: Error): void
}

/** One per core, a few at most. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()))
}

/**
 * Worker threads that read and deflate into slots of one shared buffer, so a bundle is
 * compressed on every core while the main thread only writes, and memory is fixed up front:
 * `slots` x SLOT_BYTES, whatever goes through. A task that produces bytes holds a slot until
 * the caller has written them and released it.
 */
export class DeflatePool {
  private readonly shared: SharedArrayBuffer
  private readonly free: number[]
  private readonly workers: Array<{ worker: Worker; busy: number }>
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private failure: Error | undefined

  constructor(size: number, level: number, slots: number) {
    this.shared = new SharedArrayBuffer(slots * SLOT_BYTES)
    this.free = Array.from({ length: slots }, (_, i) => slots - 1 - i)
    this.workers = Array.from({ length: Math.max(1, size) }, () => {
      const slot = {
        worker: new Worker(WORKER_SOURCE, { eval: true, workerData: { shared: this.shared, level }, resourceLimits: WORKER_LIMITS }),
        busy: 0
      }
      slot.worker.on('message', (reply: WorkerReply) => {
        slot.busy--
        this.settle(reply)
      })
      slot.worker.on('error', error => this.fail(error))
      slot.worker.on('exit', code => {
        if (code !== 0) this.fail(new Error(`a deflate worker stopped (exit code ${code})`))
      })
      return slot
    })
  }

  get size(): number {
    return this.workers.length
  }

  /** A free slot, or undefined when every slot holds output not yet written. */
  acquire(): number | undefined {
    return this.free.pop()
  }

  release(slot: number): void {
    this.free.push(slot)
  }

  async files(task: FilesTask, slot: number): Promise<BatchResult> {
    const offset = slot * SLOT_BYTES
    const reply = await this.submit({ ...task, offset })
    return { table: reply.table!, data: Buffer.from(this.shared, offset, reply.used!) }
  }

  async range(task: RangeTask, slot: number): Promise<RangeResult> {
    const offset = slot * SLOT_BYTES
    const reply = await this.submit({ ...task, offset, capacity: SLOT_BYTES })
    const data = Buffer.from(this.shared, offset, reply.length!)
    return { crc: reply.crc!, length: task.length, data, windowCrc: reply.windowCrc!, tailCrc: reply.tailCrc! }
  }

  async probe(task: ProbeTask): Promise<boolean> {
    return (await this.submit(task)).compresses === true
  }

  /** Stops the threads; pending tasks are rejected. */
  async close(): Promise<void> {
    this.fail(new Error('the deflate pool was closed'))
    await Promise.all(this.workers.map(w => w.worker.terminate()))
  }

  private submit(task: object): Promise<NonNullable<WorkerReply['result']>> {
    if (this.failure) return Promise.reject(this.failure)
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a))
    const id = this.nextId++
    slot.busy++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      slot.worker.postMessage({ id, task })
    })
  }

  private settle(reply: WorkerReply): void {
    const pending = this.pending.get(reply.id)
    if (!pending) return
    this.pending.delete(reply.id)
    if (reply.error) pending.reject(new ReadError(reply.error.path ?? '', reply.error.code, reply.error.message, reply.error.how))
    else pending.resolve(reply.result ?? {})
  }

  private fail(error: Error): void {
    this.failure ??= error
    for (const [id, pending] of this.pending) {
      this.pending.delete(id)
      pending.reject(error)
    }
  }
}
