import type { EntryFeed } from '../../source/entry-feed.js'
import type { Entry } from '../../source/walk-tree.js'
import type { WriteOptions } from '../write-options.js'
import { writeArchive } from './write-archive.js'

/**
 * Writes `entries` as a gzip-compressed POSIX tar at `file` and returns its size: every entry
 * stamped with `options.mtime`, the same tree giving the same bytes whatever the number of
 * workers. `level` is gzip's (6 by default, as `tar czf`).
 */
export async function writeTgz(
  entries: readonly Entry[] | EntryFeed,
  file: string,
  options: WriteOptions & { level?: number; workers?: number }
): Promise<number> {
  return writeArchive(entries, file, { ...options, level: options.level ?? 6 })
}
