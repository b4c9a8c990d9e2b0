import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as zlib from 'node:zlib'
import { CompleteMultipartUploadCommand, type CompletedPart, type CreateMultipartUploadCommandInput } from '@aws-sdk/client-s3'
import { abortable } from '../aws/clients.js'
import { crc32Combine } from '../bundle/crc32.js'
import type { BundleDigest, BundleFollower } from '../bundle/write-bundle.js'
import { unquote } from './existing-object.js'
import { crc32Base64, type BundleLocation } from './location.js'
import {
  abortUpload,
  createUpload,
  DEFAULT_PART_SIZE,
  MAX_PARTS,
  MIN_PART,
  type MultipartDeps,
  type PartOptions,
  type Written
} from './multipart.js'
import { uploadPart } from './upload-part.js'

export interface StreamOptions extends PartOptions {
  /** Bundles up to this size are not streamed: they end as one PutObject after packaging. */
  multipartThreshold: number
  /** The most the bundle can weigh: parts are sized so that it fits in 10,000. */
  sizeLimit?: number
}

/**
 * Uploads a bundle while it is being written. The writer reports how far the file is final
 * (`onFinal`); once it passes the multipart threshold, the upload is created and each full part
 * is read back from the file (one reader, in order, so the SHA-256 and the CRC-32 are taken on
 * the way) and sent, a few at a time, through a fixed set of part buffers. When every buffer is
 * in flight the reader waits, and a writer more than `maxLead` bytes ahead of it waits too: a slow
 * S3 slows packaging instead of filling memory or the disk.
 * The object is stored only by `complete`, with `If-None-Match: *` and the full-object CRC-32 S3
 * checks and keeps (there is no sha256 to put in the metadata when the upload is created; a later
 * run recognises the bytes by that checksum and the size). Any failure or cancel stops the writer
 * (`failed`), and `abandon` aborts the upload.
 */
export class StreamingUpload {
  private file: string | undefined
  private handle: fs.promises.FileHandle | undefined
  private final = 0
  private end: number | undefined
  private read = 0
  private sent = 0
  private uploadId: string | undefined
  private started = false
  /** Parts were cut in flight: S3 may still store one after the first abort. */
  private cut = false
  private failure: { error: unknown } | undefined
  private readonly stop = new AbortController()
  private readonly hash = crypto.createHash('sha256')
  private crc = 0
  private readonly parts: CompletedPart[] = []
  private readonly inFlight = new Set<Promise<void>>()
  private readonly free: Buffer[] = []
  private buffers = 0
  private pump: Promise<void> | undefined
  private wake: (() => void) | undefined
  private held: Array<() => void> = []
  private readonly partSize: number
  private readonly concurrency: number
  private readonly maxLead: number
  private readonly onCancel = (): void => this.fail(new Error('the upload was cancelled'))

  constructor(
    private readonly loc: BundleLocation,
    private readonly params: Omit<CreateMultipartUploadCommandInput, 'Bucket' | 'Key'>,
    private readonly deps: MultipartDeps,
    private readonly options: StreamOptions
  ) {
    this.partSize = Math.max(options.partSize ?? DEFAULT_PART_SIZE, MIN_PART, Math.ceil((options.sizeLimit ?? 0) / MAX_PARTS))
    this.concurrency = Math.max(1, options.concurrency ?? 4)
    // Room for the threshold (nothing is read before it) and for every buffer's part: the writer never waits on a reader that cannot move.
    this.maxLead = Math.max(options.multipartThreshold, this.concurrency * this.partSize) + 2 * this.partSize
    deps.signal.addEventListener('abort', this.onCancel, { once: true })
    if (deps.signal.aborted) this.onCancel()
  }

  /** Aborts once the upload failed or was cancelled: the writer stops on it. */
  get failed(): AbortSignal {
    return this.stop.signal
  }

  /** Whether the upload was created (the bundle passed the threshold). */
  get streaming(): boolean {
    return this.started
  }

  /** What went wrong first, if anything. */
  get error(): unknown {
    return this.failure?.error
  }

  /** The writer's hooks for the file it writes. */
  follow(file: string): BundleFollower {
    this.file = file
    return { onFinal: this.onFinal, digest: size => this.finish(size) }
  }

  private readonly onFinal = (upTo: number): void | Promise<void> => {
    this.final = Math.max(this.final, upTo)
    this.kick()
    if (this.failure || this.final - this.read <= this.maxLead) return
    return new Promise(resolve => this.held.push(resolve))
  }

  /** Packaging is done at `size` bytes: reads and sends the rest; the checksums, or undefined when nothing was streamed. */
  async finish(size: number): Promise<BundleDigest | undefined> {
    this.end = size
    this.final = size
    this.kick()
    await this.pump
    if (this.failure) throw this.failure.error
    if (!this.started) return undefined
    return { sha256: this.hash.digest('hex'), crc32: this.crc >>> 0 }
  }

  /** After finish: waits for the last parts and completes the upload, only if the key is still free. */
  async complete(): Promise<Written> {
    await this.settle()
    if (this.failure) throw this.failure.error
    const parts = [...this.parts].sort((a, b) => a.PartNumber! - b.PartNumber!)
    const done = await this.deps.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.loc.bucket,
        Key: this.loc.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: parts },
        // S3 checks the object it assembled against this, and keeps it: a later run compares its bundle with it.
        ChecksumCRC32: crc32Base64(this.crc),
        ChecksumType: 'FULL_OBJECT',
        ExpectedBucketOwner: this.loc.expectedBucketOwner,
        IfNoneMatch: '*'
      }),
      abortable(this.stop.signal)
    )
    this.uploadId = undefined
    await this.dispose()
    return { eTag: unquote(done.ETag), version: done.VersionId }
  }

  /** Stops everything and aborts the upload (twice when parts were cut in flight); never throws. */
  async abandon(): Promise<void> {
    this.fail(new Error('the upload was abandoned'))
    await this.settle()
    const id = this.uploadId
    this.uploadId = undefined
    if (id) await abortUpload(this.deps.s3, this.loc, id, this.cut, this.deps.clock)
    await this.dispose()
  }

  private async settle(): Promise<void> {
    await this.pump?.catch(() => undefined)
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  private async dispose(): Promise<void> {
    this.deps.signal.removeEventListener('abort', this.onCancel)
    const handle = this.handle
    this.handle = undefined
    await handle?.close().catch(() => undefined)
  }

  private fail(error: unknown): void {
    this.failure ??= { error }
    this.stop.abort()
    for (const resume of this.held.splice(0)) resume()
    this.wakeUp()
  }

  private kick(): void {
    this.pump ??= this.run().catch((error: unknown) => this.fail(error))
    this.wakeUp()
  }

  private wakeUp(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private async sleep(): Promise<void> {
    await new Promise<void>(resolve => (this.wake = resolve))
  }

  /** The one reader: reads each part once it is final and a buffer is free, hashes it, sends it. */
  private async run(): Promise<void> {
    for (let partNumber = 1; !this.failure;) {
      const total = this.end ?? this.final
      if (!this.started) {
        if (total <= this.options.multipartThreshold) {
          if (this.end !== undefined) return
          await this.sleep()
          continue
        }
        this.started = true
        this.uploadId = await createUpload(this.deps.s3, { ...this.params, Bucket: this.loc.bucket, Key: this.loc.key }, this.deps)
        continue
      }
      if (this.end !== undefined && this.read >= this.end) return
      const length = this.end === undefined ? this.partSize : Math.min(this.partSize, this.end - this.read)
      const buffer = total - this.read >= length ? this.takeBuffer() : undefined
      if (!buffer) {
        await this.sleep()
        continue
      }
      if (partNumber > MAX_PARTS) throw new Error(`the bundle grew past ${MAX_PARTS} parts of ${this.partSize} bytes while it was written`)
      const body = buffer.subarray(0, length)
      await this.readAt(body, this.read)
      this.hash.update(body)
      const partCrc = zlib.crc32(body)
      this.crc = this.read === 0 ? partCrc : crc32Combine(this.crc, partCrc, length)
      this.read += length
      if (this.final - this.read <= this.maxLead) for (const resume of this.held.splice(0)) resume()
      this.send(partNumber++, body, partCrc, buffer)
    }
  }

  private takeBuffer(): Buffer | undefined {
    const buffer = this.free.pop()
    if (buffer || this.buffers >= this.concurrency) return buffer
    this.buffers++
    return Buffer.allocUnsafeSlow(this.partSize)
  }

  private async readAt(body: Buffer, position: number): Promise<void> {
    this.handle ??= await fs.promises.open(this.file!, 'r')
    for (let done = 0; done < body.length;) {
      const { bytesRead } = await this.handle.read(body, done, body.length - done, position + done)
      if (bytesRead === 0) throw new Error(`${this.file} is shorter than the writer said`)
      done += bytesRead
    }
  }

  private send(partNumber: number, body: Buffer, crc: number, buffer: Buffer): void {
    const part = { loc: this.loc, uploadId: this.uploadId!, partNumber, body, crc }
    const task = uploadPart(this.deps.s3, part, this.stop.signal)
      .then(
        done => {
          this.parts.push(done)
          this.sent += body.length
          this.options.onProgress?.(this.sent)
        },
        (error: unknown) => {
          if (this.stop.signal.aborted) this.cut = true
          this.fail(error)
        }
      )
      .finally(() => {
        this.inFlight.delete(task)
        this.free.push(buffer)
        this.wakeUp()
      })
    this.inFlight.add(task)
  }
}
