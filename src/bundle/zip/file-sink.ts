import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { ActionError } from '../../core/errors.js'

const BUFFER_BYTES = 1 << 20
/** What a full or failing disk answers a write with. */
const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EFBIG', 'EROFS'])

/**
 * An append-only file writer for archives: small writes are gathered into 1 MiB writes, one of
 * which goes to disk while the next fills (two fixed buffers, so memory does not grow with the
 * file). It can also go back: patch bytes already written (a zip header filled in after its
 * data) or rewind (write an entry again, stored instead of deflated).
 */
export class FileSink {
  private buffer = Buffer.allocUnsafeSlow(BUFFER_BYTES)
  private spare = Buffer.allocUnsafeSlow(BUFFER_BYTES)
  private used = 0
  /** Bytes handed to the file (written, or being written by `inFlight`). */
  private flushed = 0
  private highWater = 0
  private inFlight: Promise<void> | undefined
  /** Bytes from the start known to be on disk (writes go one after another). */
  private onDisk = 0
  /** Bytes from here on may still be patched or rewound (a big entry being written); Infinity: none. */
  private fence = Infinity
  private reported = 0

  private constructor(
    private readonly handle: fs.FileHandle,
    private readonly file: string,
    private readonly onFinal: ((upTo: number) => void | Promise<void>) | undefined
  ) {}

  static async create(file: string, onFinal?: (upTo: number) => void | Promise<void>): Promise<FileSink> {
    return new FileSink(await fs.open(file, 'w'), file, onFinal)
  }

  /** Bytes from `offset` on may change until release(): they are not reported final. */
  hold(offset: number): void {
    this.fence = offset
  }

  release(): void {
    this.fence = Infinity
  }

  /** After a write reached `upTo`: tells onFinal how far the file is on disk and final. */
  private async reached(upTo: number): Promise<void> {
    this.onDisk = Math.max(this.onDisk, upTo)
    const final = Math.min(this.onDisk, this.fence)
    if (!this.onFinal || final <= this.reported) return
    this.reported = final
    await this.onFinal(final)
  }

  /** Where the next byte goes. */
  get position(): number {
    return this.flushed + this.used
  }

  async write(chunk: Buffer): Promise<void> {
    let at = 0
    while (at < chunk.length) {
      if (this.used === 0 && chunk.length - at >= BUFFER_BYTES) {
        // Big pieces go straight to the file, without a copy.
        await this.settle()
        await this.writeAll(chunk.subarray(at), this.flushed)
        this.flushed += chunk.length - at
        this.highWater = Math.max(this.highWater, this.flushed)
        await this.reached(this.flushed)
        return
      }
      const n = chunk.copy(this.buffer, this.used, at)
      this.used += n
      at += n
      if (this.used === BUFFER_BYTES) await this.flush()
    }
  }

  /** Starts writing what is buffered; waits only for the write before it. */
  private async flush(): Promise<void> {
    await this.settle()
    if (this.used === 0) return
    const full = this.buffer.subarray(0, this.used)
    const at = this.flushed
    const writing = this.writeAll(full, at).then(() => this.reached(at + full.length))
    // Nobody awaits this write until the next flush: without a handler now, a failure (a full
    // disk) would be an unhandled rejection and end the process. settle() still throws it.
    writing.catch(() => undefined)
    this.inFlight = writing
    ;[this.buffer, this.spare] = [this.spare, this.buffer]
    this.flushed += this.used
    this.used = 0
    this.highWater = Math.max(this.highWater, this.flushed)
  }

  private async settle(): Promise<void> {
    const pending = this.inFlight
    this.inFlight = undefined
    await pending
  }

  private async writeAll(data: Buffer, position: number): Promise<void> {
    let written = 0
    try {
      while (written < data.length) {
        const { bytesWritten } = await this.handle.write(data, written, data.length - written, position + written)
        written += bytesWritten
      }
    } catch (error) {
      throw await diskError(error, this.file)
    }
  }

  /** Overwrites bytes at `offset`, which must be before `position`. */
  async patch(offset: number, bytes: Buffer): Promise<void> {
    if (offset + bytes.length > this.position) throw new Error('patch past the end of the file')
    const onDisk = Math.max(0, Math.min(bytes.length, this.flushed - offset))
    if (onDisk > 0) {
      await this.settle()
      await this.writeAll(bytes.subarray(0, onDisk), offset)
    }
    if (onDisk < bytes.length) bytes.copy(this.buffer, offset + onDisk - this.flushed, onDisk)
  }

  /** Forgets everything from `offset` on; the next write goes there. */
  async rewind(offset: number): Promise<void> {
    if (offset >= this.flushed) {
      this.used = offset - this.flushed
      return
    }
    await this.settle()
    this.flushed = offset
    this.used = 0
    // After settle: the write in flight would otherwise count bytes that are now to be rewritten.
    this.onDisk = Math.min(this.onDisk, offset)
  }

  /** Writes what is left, cuts anything past the end left by a rewind, closes; returns the size. */
  async close(): Promise<number> {
    try {
      await this.flush()
      await this.settle()
      if (this.highWater > this.flushed) await this.handle.truncate(this.flushed)
      return this.flushed
    } finally {
      await this.handle.close()
    }
  }

  /** Closes without caring about the content (the file is being thrown away). */
  async abandon(): Promise<void> {
    await this.inFlight?.catch(() => undefined)
    await this.handle.close().catch(() => undefined)
  }
}

/** A failed write as the user can act on it: which directory, how much room it has, what to do. */
export async function diskError(error: unknown, file: string): Promise<unknown> {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (!code || !DISK_ERRORS.has(code)) return error
  const dir = path.dirname(file)
  const free = await fs.statfs(dir).then(
    s => `${formatBytes(s.bavail * s.bsize)} free`,
    () => 'free space unknown'
  )
  const what = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : `the disk failed (${code})`
  return new ActionError(`Writing the bundle to ${dir} failed: ${what} (${dir}: ${free}).`, {
    fix:
      'put the bundle on a bigger disk (set RUNNER_TEMP to a directory there in an earlier step), ' +
      'or leave out what need not ship with `exclude` (build caches, test data, node_modules).',
    code,
    cause: error
  })
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[i]}`
}
