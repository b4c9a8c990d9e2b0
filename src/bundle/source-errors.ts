import { ActionError } from '../core/errors.js'

const FIX = (name: string): string =>
  `make sure no other step writes to or removes files under source-dir while the action runs, and that the runner ` +
  `can read '${name}', or add it to exclude.`

/** How a file was seen to change between the listing of the tree and the last read of it. */
export type Change =
  | 'it grew'
  | 'it is shorter than when it was listed'
  | 'it was modified'
  | 'it was replaced by another file'
  | 'its content differed between two reads'

/**
 * A file that changed after the tree was listed: the bundle would not be a snapshot, and a zip
 * entry read twice (pieces, a deflate window, a stored rewrite) could get a CRC that its data does
 * not match, which unzip and the agent reject. So the run fails, naming the file.
 */
export function changedWhileBundling(name: string, how: Change, cause?: unknown): ActionError {
  return new ActionError(`'${name}' changed while it was being bundled (${how}).`, {
    input: 'source-dir',
    fix:
      `is a build step still writing '${name}' (a background process, a watcher, a server started earlier in the job)? ` +
      `Let it finish before this step, or add the file to exclude. Nothing was uploaded.`,
    cause
  })
}

/** A file that could not be read (removed, unreadable), named by its path in the bundle. */
export function unreadable(name: string, error: unknown): ActionError {
  // Not `instanceof Error`: errors from node:fs can come from another realm (a test runner's vm).
  const message = (error as { message?: unknown } | undefined)?.message
  const reason = typeof message === 'string' ? message : String(error)
  return new ActionError(`could not read '${name}' to bundle it (${reason}).`, { input: 'source-dir', fix: FIX(name), cause: error })
}
