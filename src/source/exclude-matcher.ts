import ignore, { type Ignore } from 'ignore'

/**
 * The exclusion rules as the walk asks them: a directory is matched once, as `dir/`, and the
 * walk never goes below one that is left out; a file only when some rule could leave out a file
 * by its own path. With the defaults (`node_modules/`) and any other rules that name only
 * directories, no rule can: a rule ending in '/' matches directories (and what lies under them,
 * already pruned), and a `!` rule only brings paths back. Asking `ignore` about each of 70,000
 * files cost as much as listing them, and its cache held every path until the walk ended.
 */
export class ExcludeMatcher {
  private readonly rules: Ignore
  /** Whether some rule could leave out a file whose directories are all in. */
  readonly matchesFiles: boolean

  constructor(patterns: readonly string[]) {
    // Case-sensitive, as git is on Linux: `*.LOG` does not leave out `app.log`.
    this.rules = ignore({ ignorecase: false }).add([...patterns])
    this.matchesFiles = patterns.some(canExcludeFile)
  }

  /** A directory (or a link to one) at `rel`, '/'-separated from the root, without the trailing slash. */
  excludesDir(rel: string): boolean {
    return this.rules.ignores(`${rel}/`)
  }

  /** A file or link at `rel` whose directories the walk found not excluded. */
  excludesFile(rel: string): boolean {
    return this.matchesFiles && this.rules.ignores(rel)
  }
}

/**
 * Could this pattern leave out a file by its own path? Only an ignoring rule (not `!`, a comment
 * or a blank line) that does not end in '/'. Anything unusual at the end (a trailing space, an
 * escaped slash, '//') counts as able to: the matcher then asks `ignore` about every file, as before.
 */
export function canExcludeFile(pattern: string): boolean {
  if (pattern.length === 0 || pattern.startsWith('#') || pattern.startsWith('!')) return false
  const dirOnly = pattern.length >= 2 && pattern.endsWith('/') && !pattern.endsWith('\\/') && !pattern.endsWith('//')
  return !dirOnly
}
