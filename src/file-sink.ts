import * as fs from 'node:fs/promises'

const FLUSH_BYTES = 1 << 20

/**
 * An append-only file writer that batches small writes into large ones, and can go back: patch
 * bytes already written (zip headers filled in after their data) or rewind (redo an entry).
 */
export class FileSink {
  private chunks: Buffer[] = []
  private pendingBytes = 0
  private flushed = 0
  private highWater = 0

  private constructor(private readonly handle: fs.FileHandle) {}

  static async create(file: string): Promise<FileSink> {
    return new FileSink(await fs.open(file, 'w'))
  }

  /** Where the next byte goes. */
  get position(): number {
    return this.flushed + this.pendingBytes
  }

  async write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.pendingBytes += chunk.length
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.pendingBytes)
    this.chunks = []
    let written = 0
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(data, written, data.length - written, this.flushed + written)
      written += bytesWritten
    }
    this.flushed += data.length
    this.pendingBytes = 0
    this.highWater = Math.max(this.highWater, this.flushed)
  }

  /** Overwrites bytes at `offset`, which must already be written. */
  async patch(offset: number, bytes: Buffer): Promise<void> {
    await this.flush()
    await this.handle.write(bytes, 0, bytes.length, offset)
  }

  /** Forgets everything from `offset` on; the next write goes there. */
  async rewind(offset: number): Promise<void> {
    await this.flush()
    this.flushed = offset
  }

  /** Flushes, cuts anything left past the end by a rewind, closes; returns the file's size. */
  async close(): Promise<number> {
    try {
      await this.flush()
      if (this.highWater > this.flushed) await this.handle.truncate(this.flushed)
      return this.flushed
    } finally {
      await this.handle.close()
    }
  }

  /** Closes without caring about the content (the file is being thrown away). */
  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined)
  }
}
