import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import type { BundleType } from '../core/domain.js'
import { entryFeed, type EntryFeed } from '../source/entry-feed.js'
import type { Entry } from '../source/walk-tree.js'
import { writeTar } from './tar/write-tar.js'
import { writeTgz } from './tar/write-tgz.js'
import type { WriteOptions } from './write-options.js'
import { writeZip } from './zip/write-zip.js'

/** A bundle on disk, ready to upload. */
export interface Bundle {
  file: string
  type: BundleType
  size: number
  sha256: string
  /** CRC-32 of the whole file: what S3 keeps as the full-object checksum of a bundle uploaded while it was written. */
  crc32?: number
  entries: number
}

/** Who reads the bundle as it is written: told how far it is final, and asked for the checksums it took on the way. */
export interface BundleFollower {
  onFinal: (upTo: number) => void | Promise<void>
  /** Given the size once the writer is done; undefined: it took none, the file is hashed here. */
  digest: (size: number) => Promise<BundleDigest | undefined>
}

/** The bundle's checksums, from the bytes as they are on disk. */
export interface BundleDigest {
  sha256: string
  crc32: number
}

/**
 * Writes the entries as a zip, tar or tgz in a fresh temp directory (RUNNER_TEMP on a runner). On any
 * failure, a cancel included, the directory is removed: nothing half-written is left behind.
 */
export async function writeBundle(
  source: readonly Entry[] | EntryFeed,
  type: BundleType,
  options: WriteOptions & {
    tempRoot?: string | undefined
    /** Someone who reads the file as it is written (an upload while packaging): given its path, gives the writer's hooks. */
    follow?: ((file: string) => BundleFollower) | undefined
  }
): Promise<Bundle> {
  // One feed for the writer and the count: a list given whole is one that has already ended.
  const feed = entryFeed(source)
  // Made at once (one quick call): awaited, the writer would start only when the walk next lets the event loop run.
  const dir = fs.mkdtempSync(path.join(options.tempRoot ?? os.tmpdir(), 'codedeploy-bundle-'))
  const file = path.join(dir, `bundle.${type}`)
  const follower = options.follow?.(file)
  const onFinal = follower?.onFinal ?? options.onFinal
  const write = {
    mtime: options.mtime,
    signal: options.signal,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(onFinal ? { onFinal } : {})
  }
  try {
    const size =
      type === 'zip'
        ? await writeZip(feed, file, write)
        : type === 'tar'
          ? await writeTar(feed, file, write)
          : await writeTgz(feed, file, write)
    const digest = (await follower?.digest(size)) ?? (await digestFile(file, options.signal))
    return { file, type, size, ...digest, entries: feed.entries.length }
  } catch (error) {
    await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined)
    throw error
  }
}

/**
 * The file's SHA-256, read through one reused buffer (a stream would leave a gigabyte of garbage).
 * Stops at the next MiB once `signal` aborts (a gigabyte takes seconds to hash).
 */
export async function sha256File(file: string, signal: AbortSignal): Promise<string> {
  return (await digestFile(file, signal)).sha256
}

/** The file's SHA-256 and CRC-32, in one read (see sha256File). */
export async function digestFile(file: string, signal: AbortSignal): Promise<BundleDigest> {
  const hash = crypto.createHash('sha256')
  let crc32 = 0
  const handle = await fs.promises.open(file, 'r')
  try {
    const buffer = Buffer.allocUnsafeSlow(1 << 20)
    for (let position = 0; ;) {
      signal.throwIfAborted()
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      crc32 = zlib.crc32(buffer.subarray(0, bytesRead), crc32)
      position += bytesRead
    }
  } finally {
    await handle.close()
  }
  return { sha256: hash.digest('hex'), crc32 }
}

/** Removes the bundle's temp directory; never fails the step over a leftover temp file. */
export async function removeBundle(bundle: Bundle): Promise<void> {
  await fs.promises.rm(path.dirname(bundle.file), { recursive: true, force: true }).catch(() => undefined)
}
