import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { BundleType } from '../core/domain.js'
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
  entries: number
}

/**
 * Writes the entries as a zip, tar or tgz in a fresh temp directory (RUNNER_TEMP on a runner). On any
 * failure, a cancel included, the directory is removed: nothing half-written is left behind.
 */
export async function writeBundle(
  entries: readonly Entry[],
  type: BundleType,
  options: WriteOptions & { tempRoot?: string | undefined }
): Promise<Bundle> {
  const dir = await fs.promises.mkdtemp(path.join(options.tempRoot ?? os.tmpdir(), 'codedeploy-bundle-'))
  const file = path.join(dir, `bundle.${type}`)
  const write = { mtime: options.mtime, signal: options.signal, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }
  try {
    const size =
      type === 'zip'
        ? await writeZip(entries, file, write)
        : type === 'tar'
          ? await writeTar(entries, file, write)
          : await writeTgz(entries, file, write)
    return { file, type, size, sha256: await sha256File(file, options.signal), entries: entries.length }
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
  const hash = crypto.createHash('sha256')
  const handle = await fs.promises.open(file, 'r')
  try {
    const buffer = Buffer.allocUnsafeSlow(1 << 20)
    for (let position = 0; ;) {
      signal.throwIfAborted()
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      position += bytesRead
    }
  } finally {
    await handle.close()
  }
  return hash.digest('hex')
}

/** Removes the bundle's temp directory; never fails the step over a leftover temp file. */
export async function removeBundle(bundle: Bundle): Promise<void> {
  await fs.promises.rm(path.dirname(bundle.file), { recursive: true, force: true }).catch(() => undefined)
}
