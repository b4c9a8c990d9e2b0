import type { Entry, FileVersion } from '../../source/walk-tree.js'
import { changedWhileBundling, unreadable, type Change } from '../source-errors.js'
import { PieceError } from './piece-pool.js'
import { SEEN_FIELDS } from './piece-worker.js'

/**
 * Every read of a file (a file is read more than once when it spans pieces, or sits in the
 * 32 KiB a piece is primed with) must see the same file: same inode, same mtime and ctime. A
 * worker checks each read on its own (before and after); this checks the reads against each
 * other and against the walk, so the bytes of one entry all come from one version of the file.
 */
export class FileSnapshots {
  /** What a read saw of a file the walk recorded nothing of (its first read). */
  private readonly sights = new Map<number, FileVersion>()

  /** `entries`: the bundle's entries; it may still grow while pieces are checked (a writer fed by the walk). */
  constructor(private readonly entries: readonly Entry[]) {}

  /** The first file seen to differ from an earlier sight of it, and how; undefined when all agree. */
  check(seen: Float64Array): { entry: number; how: Change } | undefined {
    for (let at = 0; at < seen.length; at += SEEN_FIELDS) {
      const i = seen[at]!
      const ino = seen[at + 1]!
      const mtimeMs = seen[at + 2]!
      const ctimeMs = seen[at + 3]!
      const known = this.entries[i]?.listed ?? this.sights.get(i)
      if (!known) this.sights.set(i, { ino, mtimeMs, ctimeMs })
      else if (known.ino !== ino) return { entry: i, how: 'it was replaced by another file' }
      else if (known.mtimeMs !== mtimeMs || known.ctimeMs !== ctimeMs) return { entry: i, how: 'it was modified' }
    }
    return undefined
  }
}

const KINDS: readonly string[] = ['it grew', 'it is shorter than when it was listed', 'it was modified', 'it was replaced by another file']

/** A worker's failure as the user should read it: the file named by its path in the bundle. */
export function explainPieceError(error: unknown, entries: readonly Entry[]): unknown {
  if (!(error instanceof PieceError) || error.entry === undefined) return error
  const name = entries[error.entry]?.path ?? String(error.entry)
  if (error.code === 'ECHANGED' && error.how !== undefined && KINDS.includes(error.how)) {
    return changedWhileBundling(name, error.how as Change, error)
  }
  return unreadable(name, error)
}
