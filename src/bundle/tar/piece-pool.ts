import * as os from 'node:os'
import { Worker } from 'node:worker_threads'
import type { PieceTask } from './layout.js'
import { PIECE_WORKER_SOURCE } from './piece-worker.js'

/** A piece as a worker gives it back: the bytes to write, the CRC of the raw piece, what it saw of each file. */
export interface PieceResult {
  /** CRC-32 and length of the raw tar bytes of the piece. */
  crc: number
  length: number
  /** What goes to the file: the piece deflated (tgz) or as it is (tar). */
  data: Buffer
  /** Per file read: entry, inode, mtimeMs, ctimeMs (SEEN_FIELDS numbers each). */
  seen: Float64Array
}

/** A worker's report of a piece it could not build: a file changed, or could not be read. */
export class PieceError extends Error {
  constructor(
    message: string,
    /** 'ECHANGED' when the file is not what the walk listed; an fs code (ENOENT, EACCES...) otherwise. */
    readonly code: string | undefined,
    readonly how: string | undefined,
    /** The entry's index, when a file was to blame. */
    readonly entry: number | undefined
  ) {
    super(message)
    this.name = 'PieceError'
  }
}

interface Reply {
  id: number
  result?: { crc: number; length: number; output: ArrayBuffer; offset: number; size: number; seen: Float64Array }
  error?: { message: string; code?: string; how?: string; entry?: number }
}

interface Queued {
  id: number
  task: PieceTask
  resolve(result: PieceResult): void
  reject(error: Error): void
}

/** One per core, a few at most. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()))
}

/** Worker heaps stay small: the big buffers are moved in and out, outside the JS heap. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 }

/**
 * Threads that build pieces of the tar stream (read, check, deflate). One task at a time per
 * thread, from one queue, so a slow piece never holds back one queued behind it on a busy thread.
 */
export class PiecePool {
  private readonly workers: Array<{ worker: Worker; task: Queued | undefined }>
  private readonly queue: Queued[] = []
  private nextId = 0
  private failure: Error | undefined

  /** `level`: deflate level, or undefined to send pieces back uncompressed. */
  constructor(size: number, level: number | undefined) {
    this.workers = Array.from({ length: Math.max(1, size) }, () => {
      const slot: { worker: Worker; task: Queued | undefined } = {
        worker: new Worker(PIECE_WORKER_SOURCE, { eval: true, workerData: { level }, resourceLimits: WORKER_LIMITS }),
        task: undefined
      }
      slot.worker.on('message', (reply: Reply) => this.settle(slot, reply))
      slot.worker.on('error', error => this.fail(error))
      slot.worker.on('exit', code => {
        if (code !== 0) this.fail(new Error(`a tar worker stopped (exit code ${code})`))
      })
      return slot
    })
  }

  get size(): number {
    return this.workers.length
  }

  run(task: PieceTask): Promise<PieceResult> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject })
      this.dispatch()
    })
  }

  /** Stops every thread (a cancel, a failure, or the end); whatever is pending is rejected. */
  async close(): Promise<void> {
    this.fail(new Error('the tar workers were stopped'))
    await Promise.all(this.workers.map(w => w.worker.terminate()))
  }

  private dispatch(): void {
    for (const slot of this.workers) {
      if (slot.task || this.queue.length === 0) continue
      const next = this.queue.shift()!
      slot.task = next
      slot.worker.postMessage({ id: next.id, task: next.task }, [next.task.buffer])
    }
  }

  private settle(slot: { task: Queued | undefined }, reply: Reply): void {
    const task = slot.task
    slot.task = undefined
    if (!task || task.id !== reply.id) return
    if (reply.error) {
      const { message, code, how, entry } = reply.error
      task.reject(new PieceError(message, code, how, entry))
    } else {
      const r = reply.result!
      task.resolve({ crc: r.crc, length: r.length, data: Buffer.from(r.output, r.offset, r.size), seen: r.seen })
    }
    this.dispatch()
  }

  private fail(error: Error): void {
    this.failure ??= error
    for (const queued of this.queue.splice(0)) queued.reject(error)
    for (const slot of this.workers) {
      slot.task?.reject(error)
      slot.task = undefined
    }
  }
}
