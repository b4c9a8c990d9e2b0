import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import ignore from 'ignore'
import { ActionError } from './errors.js'

/** One thing that goes into the bundle, named by its path from the bundle root ('/'-separated). */
export interface Entry {
  path: string
  kind: 'file' | 'dir' | 'symlink'
  /** Unix permission bits (0o7777 mask). */
  mode: number
  /** Bytes on disk when collected (0 for directories). */
  size: number
  absolute: string
  /** For symlinks: the link's text, always pointing inside the bundle. */
  linkTarget?: string
}

/** Left out by default; `!node_modules/` in `exclude` brings it back. */
export const DEFAULT_EXCLUDES = ['node_modules/']
/** Never bundled (directory or worktree file), whatever `exclude` says: actions/checkout leaves a token in .git/config. */
const ALWAYS_EXCLUDED = '.git'

/**
 * Lists what the bundle will hold: every file, directory and symlink under `root`, minus the
 * excluded ones, sorted by path so the same tree always gives the same bundle.
 */
export async function collectEntries(root: string, exclude: readonly string[]): Promise<Entry[]> {
  const matcher = ignore().add([...DEFAULT_EXCLUDES, ...exclude])
  const realRoot = await fs.realpath(root)
  const entries: Entry[] = []

  async function walk(dir: string, relDir: string): Promise<void> {
    const names = (await fs.readdir(dir)).sort()
    for (const name of names) {
      if (name === ALWAYS_EXCLUDED) continue
      const rel = relDir ? `${relDir}/${name}` : name
      const absolute = path.join(dir, name)
      const stat = await fs.lstat(absolute)
      if (stat.isDirectory()) {
        if (matcher.ignores(`${rel}/`)) continue
        entries.push({ path: rel, kind: 'dir', mode: stat.mode & 0o7777, size: 0, absolute })
        await walk(absolute, rel)
      } else if (matcher.ignores(rel)) {
        continue
      } else if (stat.isSymbolicLink()) {
        const linkTarget = await fs.readlink(absolute)
        await refuseEscapingLink(realRoot, absolute, rel, linkTarget)
        entries.push({ path: rel, kind: 'symlink', mode: 0o777, size: 0, absolute, linkTarget })
      } else if (stat.isFile()) {
        entries.push({ path: rel, kind: 'file', mode: stat.mode & 0o7777, size: stat.size, absolute })
      }
      // Sockets, FIFOs and devices cannot be deployed; they are left out.
    }
  }

  await walk(realRoot, '')
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return entries
}

async function refuseEscapingLink(realRoot: string, absolute: string, rel: string, linkTarget: string): Promise<void> {
  const refuse = (why: string): never => {
    throw new ActionError(`symlink '${rel}' points to '${linkTarget}', ${why}.`, {
      input: 'source-dir',
      fix: `make the link point inside source-dir, or add '${rel}' to exclude.`
    })
  }
  if (path.isAbsolute(linkTarget)) refuse('an absolute path (it would resolve on the instance, not in the bundle)')
  const lexical = path.resolve(path.dirname(absolute), linkTarget)
  if (!isInside(realRoot, lexical)) refuse('outside source-dir')
  // A chain of links can escape even when each text looks relative.
  const real = await fs.realpath(absolute).catch(() => undefined)
  if (real !== undefined && !isInside(realRoot, real)) refuse('outside source-dir once resolved')
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root + path.sep)
}
