import * as fs from 'node:fs/promises'

const BUFFER_BYTES = 1 << 20

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

  private constructor(private readonly handle: fs.FileHandle) {}

  static async create(file: string): Promise<FileSink> {
    return new FileSink(await fs.open(file, 'w'))
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
    this.inFlight = this.writeAll(full, at)
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
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(data, written, data.length - written, position + written)
      written += bytesWritten
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
