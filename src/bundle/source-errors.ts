import { ActionError } from '../core/errors.js'

const FIX = (name: string): string =>
  `make sure no other step writes to or removes files under source-dir while the action runs, and that the runner ` +
  `can read '${name}', or add it to exclude.`

/** How a file was seen to change: its size, or (same size) its content or its inode. */
export type ChangeKind = 'it grew' | 'it is shorter than when it was listed' | 'it was modified' | 'it was replaced'

/** A file whose size is not what it was when the tree was listed: the bundle would not be a snapshot. */
export function changedWhileBundling(name: string, how: ChangeKind, cause?: unknown): ActionError {
  return new ActionError(`'${name}' changed while it was being bundled (${how}).`, { input: 'source-dir', fix: FIX(name), cause })
}

/** A file that could not be read (removed, unreadable), named by its path in the bundle. */
export function unreadable(name: string, error: unknown): ActionError {
  // Not `instanceof Error`: errors from node:fs can come from another realm (a test runner's vm).
  const message = (error as { message?: unknown } | undefined)?.message
  const reason = typeof message === 'string' ? message : String(error)
  return new ActionError(`could not read '${name}' to bundle it (${reason}).`, { input: 'source-dir', fix: FIX(name), cause: error })
}
