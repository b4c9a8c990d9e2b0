import type { EntryFeed } from '../../source/entry-feed.js'
import type { Entry } from '../../source/walk-tree.js'
import type { WriteOptions } from '../write-options.js'
import { writeArchive } from './write-archive.js'

/**
 * Writes `entries` as an uncompressed POSIX tar at `file` (CodeDeploy's `bundleType: tar`) and
 * returns its size: the same archive a tgz holds, byte for byte, without the gzip around it.
 */
export async function writeTar(
  entries: readonly Entry[] | EntryFeed,
  file: string,
  options: WriteOptions & { workers?: number }
): Promise<number> {
  return writeArchive(entries, file, { ...options, level: undefined })
}
