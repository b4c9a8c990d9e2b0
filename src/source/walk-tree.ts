import * as fs from 'node:fs'
import * as path from 'node:path'
import ignore from 'ignore'
import { ActionError } from '../core/errors.js'
import { EntryFeed } from './entry-feed.js'
import { ListedEntry, ListedVersion, type Entry } from './entry.js'
import { ExcludeMatcher } from './exclude-matcher.js'

export type { Entry, FileVersion } from './entry.js'

/** Left out by default; `!node_modules/` in `exclude` brings it back. */
export const DEFAULT_EXCLUDES = ['node_modules/']
/** Never bundled (directory or worktree file), whatever `exclude` says: actions/checkout leaves a token in .git/config. */
const ALWAYS_EXCLUDED = '.git'

/** Entries found between two turns of the event loop: a writer fed by the walk gets them this often. */
const YIELD_EVERY = 1024

/**
 * Lists what the bundle will hold: every file, directory and symlink under `root`, minus the
 * excluded ones, sorted by path so the same tree always gives the same bundle. With a `feed`, the
 * entries go to it as they are found, already in that order, and the walk lets the event loop run
 * every YIELD_EVERY entries: a writer packages the first while the walk goes on. Whatever the walk
 * throws, the feed fails with it too.
 */
export async function walkSourceTree(root: string, exclude: readonly string[], feed?: EntryFeed): Promise<Entry[]> {
  const matcher = new ExcludeMatcher([...DEFAULT_EXCLUDES, ...exclude])
  const out = feed ?? new EntryFeed()
  let sinceYield = 0

  // Synchronous calls: metadata of a checked-out tree is in the page cache, and a thread-pool
  // round trip per file made listing 40,000 files take seconds instead of a fraction of one.
  // In path order as it goes: a directory's own entry sorts by its name, what it holds by its name
  // and a '/', so going down where that key comes gives exactly the order of the paths.
  // `prefix`: how the directory is named to the file system, '' or ending in a separator (diskPrefix).
  const walk = async (realRoot: string, prefix: string, relDir: string): Promise<void> => {
    const { entries, below } = listDirectory(matcher, realRoot, prefix, relDir)
    let from = 0
    for (const dir of below) {
      let to = from
      while (to < entries.length && entries[to]!.path < dir.key) to++
      out.push(entries.slice(from, to))
      sinceYield += to - from
      from = to
      await walk(realRoot, dir.diskPrefix, dir.path)
    }
    out.push(from === 0 ? entries : entries.slice(from))
    sinceYield += entries.length - from
    if (sinceYield >= YIELD_EVERY) {
      sinceYield = 0
      await new Promise(resolve => setImmediate(resolve))
    }
  }

  try {
    const realRoot = fs.realpathSync(root)
    await walk(realRoot, diskPrefix(realRoot), '')
    out.end()
    return out.entries
  } catch (error) {
    out.fail(error)
    throw error
  }
}

/** A directory to go down into: its path, where its contents sort (`key`), and how they are named to the file system (diskPrefix). */
interface Below {
  path: string
  key: string
  diskPrefix: string
}

/**
 * The directory `relDir` (named `prefix` to the file system), listed: its entries in name order,
 * and the directories to go down into in the order of their contents. A synchronous loop of its
 * own, apart from the walk's recursion (an async function, which the engine compiles at several
 * times the cost).
 */
function listDirectory(matcher: ExcludeMatcher, realRoot: string, prefix: string, relDir: string): { entries: Entry[]; below: Below[] } {
  const relPrefix = relDir ? `${relDir}/` : ''
  // One string for both paths when they are the same (the source is the working directory): 70,000 fewer to keep.
  const samePaths = prefix === relPrefix
  const entries: Entry[] = []
  const below: Below[] = []
  for (const item of namesIn(prefix || '.')) {
    const name = typeof item === 'string' ? item : item[0]
    const raw = typeof item === 'string' ? undefined : item[1]
    if (name === ALWAYS_EXCLUDED) continue
    const rel = relPrefix + name
    // Joined by hand: path.join normalizes every path again, a tenth of the walk on a tree of tiny files.
    const diskPath = samePaths ? rel : prefix + name
    // By its bytes when the name is not UTF-8: its decoded name names no file on disk.
    const stat = fs.lstatSync(raw ? Buffer.concat([Buffer.from(prefix), raw]) : diskPath)
    if (stat.isDirectory()) {
      if (matcher.excludesDir(rel)) continue
      refuseBackslash(rel)
      if (raw) refuseNonUtf8(raw, name, relDir)
      entries.push(new ListedEntry(rel, 'dir', stat.mode & 0o7777, 0, diskPath, undefined, undefined))
      below.push({ path: rel, key: `${rel}/`, diskPrefix: diskPath + path.sep })
      continue
    }
    // A link to a directory is matched like one: a node_modules/ symlink (pnpm, a restored cache) stays out too.
    if (matcher.excludesFile(rel) || (stat.isSymbolicLink() && isDirectory(diskPath) && matcher.excludesDir(rel))) continue
    refuseBackslash(rel)
    if (raw) refuseNonUtf8(raw, name, relDir)
    if (stat.isSymbolicLink()) {
      const linkTarget = fs.readlinkSync(diskPath)
      refuseEscapingLink(realRoot, diskPath, rel, linkTarget)
      entries.push(new ListedEntry(rel, 'symlink', 0o777, 0, diskPath, linkTarget, undefined))
    } else if (stat.isFile()) {
      const listed = new ListedVersion(stat.ino, stat.mtimeMs, stat.ctimeMs)
      entries.push(new ListedEntry(rel, 'file', stat.mode & 0o7777, stat.size, diskPath, undefined, listed))
    }
    // Sockets, FIFOs and devices cannot be deployed; they are left out.
  }
  // A directory's contents sort by its path and a '/': after a sibling named `lib.js` or `lib-x`, before `lib0`.
  below.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return { entries, below }
}

/**
 * How the walk names `realRoot` to the file system: '' when it is the working directory, a path
 * from there when it is inside it (the action runs in the workspace, and source-dir is in it), the
 * absolute path otherwise; then a separator. The kernel looks up every component of a path on each
 * lstat and open, twice per file: on a runner, whose workspace is /home/runner/work/<repo>/<repo>,
 * that is six components fewer each time.
 */
function diskPrefix(realRoot: string): string {
  const absolute = realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep
  let cwd: string
  try {
    cwd = fs.realpathSync(process.cwd())
  } catch {
    return absolute // the working directory is gone: absolute paths still work
  }
  if (realRoot === cwd) return ''
  return isInside(cwd, realRoot) ? path.relative(cwd, realRoot) + path.sep : absolute
}

/**
 * A directory's entries, sorted by name (code units). A name is listed with the bytes it came
 * from only when decoding may have lost some (it holds U+FFFD, what a byte that is not UTF-8
 * decodes to): every other name is exactly its bytes, and asking for bytes cost a Buffer per name.
 */
function namesIn(dir: string): Array<string | [string, Buffer]> {
  const names = fs.readdirSync(dir).sort()
  if (!names.some(name => name.includes('\uFFFD'))) return names
  const named = fs.readdirSync(dir, { encoding: 'buffer' }).map((raw): [string, Buffer] => [raw.toString('utf8'), raw])
  return named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, raw]) => (name.includes('\uFFFD') ? [name, raw] : name))
}

/**
 * A name that is not UTF-8 (e.g. Latin-1 from an old archive) cannot be named in a zip or tar
 * entry, an S3 listing or the agent's log the same way it is on disk: refuse it, showing its bytes.
 */
function refuseNonUtf8(raw: Buffer, name: string, relDir: string): void {
  if (Buffer.from(name, 'utf8').equals(raw)) return
  const shown = [...raw]
    .map(b => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`))
    .join('')
  throw new ActionError(`the file name '${relDir ? `${relDir}/` : ''}${shown}' is not UTF-8 (bytes shown as \\xNN).`, {
    input: 'source-dir',
    fix: 'rename it to a UTF-8 name (e.g. `convmv -f latin1 -t utf-8 --notest <file>`), or add it to exclude.'
  })
}

/** '\\' is a separator to Windows and many unzip tools: '..\\..\\x' would unpack outside the deployment. */
function refuseBackslash(rel: string): void {
  if (!rel.includes('\\')) return
  throw new ActionError(
    `'${rel}' has a backslash in its name, which Windows and zip tools read as a directory separator (it could unpack outside the ` +
      `deployment directory).`,
    {
      input: 'source-dir',
      fix: `rename it, or add it to exclude.`
    }
  )
}

function refuseEscapingLink(realRoot: string, diskPath: string, rel: string, linkTarget: string): void {
  const refuse = (why: string): never => {
    throw new ActionError(`symlink '${rel}' points to '${linkTarget}', ${why}.`, {
      input: 'source-dir',
      fix: `make the link point inside source-dir, or add '${rel}' to exclude.`
    })
  }
  if (path.isAbsolute(linkTarget)) refuse('an absolute path (it would resolve on the instance, not in the bundle)')
  const lexical = path.resolve(path.dirname(diskPath), linkTarget)
  if (!isInside(realRoot, lexical)) refuse('outside source-dir')
  // A chain of links can escape even when each text looks relative.
  let real: string | undefined
  try {
    real = fs.realpathSync(diskPath)
  } catch {
    real = undefined // a dangling link: nothing to follow
  }
  if (real !== undefined && !isInside(realRoot, real)) refuse('outside source-dir once resolved')
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory()
  } catch {
    return false // dangling or looping link
  }
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root + path.sep)
}

/**
 * Which rule leaves `relPath` out of the bundle: '.git', a default pattern or one of `exclude`
 * (the last that matches, as `git check-ignore -v` reports), or undefined when none does.
 */
export function excludedBy(relPath: string, exclude: readonly string[]): string | undefined {
  if (relPath.split('/').includes(ALWAYS_EXCLUDED)) return ALWAYS_EXCLUDED
  return ignore({ ignorecase: false })
    .add([...DEFAULT_EXCLUDES, ...exclude])
    .test(relPath).rule?.pattern
}
