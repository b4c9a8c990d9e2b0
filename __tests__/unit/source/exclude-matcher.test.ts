/** The walk's matcher skips asking about files when no rule can leave one out: it must agree with `ignore` itself. */
import ignore from 'ignore'
import { canExcludeFile, ExcludeMatcher } from '../../../src/source/exclude-matcher.js'
import { walkSourceTree } from '../../../src/source/walk-tree.js'
import { buildTree, TempDirs } from '../../helpers/tree.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

/** Files of a tree (directories implied), with names that look like directories, patterns, and both. */
const FILES = [
  'node_modules',
  'a/node_modules',
  'a/node_modules.js',
  'node_modules/x.js',
  'a/node_modules/b/c.js',
  'build',
  'build.txt',
  'src/build/out.js',
  'src/build',
  'logs/today.log',
  'app.log',
  'vendor/lib/x.php',
  'vendor/keep/y.php',
  'docs/a/b/c.md',
  'cache',
  'x/cache/y',
  'deep/a/b/c/d/e.txt'
]

/** Rule sets: the defaults, and rules that name only directories (so the matcher never asks about files), and others. */
const RULE_SETS: string[][] = [
  ['node_modules/'],
  ['node_modules/', '!node_modules/'],
  ['node_modules/', 'build/', '/vendor/lib/', 'docs/**/'],
  ['node_modules/', '**/cache/', '!x/cache/', 'a/*/'],
  ['node_modules/', '*/', '!src/', '!src/build/'],
  ['node_modules/', 'vendor/', '!vendor/keep/'],
  ['node_modules/', '# a comment/', '', '!*.log'],
  ['node_modules/', '/'],
  ['node_modules/', 'build//', 'cache\\/', 'logs/ '],
  ['node_modules/', '*.log'],
  ['node_modules/', 'build', '!src/build'],
  ['node_modules/', 'deep/a/b/c/', '!deep/a/']
]

/** Every path of the tree as ignore sees it: directories with a trailing slash. */
function allPaths(files: readonly string[]): Array<{ rel: string; dir: boolean }> {
  const seen = new Map<string, boolean>()
  for (const file of files) {
    const parts = file.split('/')
    for (let i = 1; i < parts.length; i++) seen.set(parts.slice(0, i).join('/'), true)
    if (!seen.has(file)) seen.set(file, false)
  }
  return [...seen].map(([rel, dir]) => ({ rel, dir })).sort((a, b) => (a.rel < b.rel ? -1 : 1))
}

describe('ExcludeMatcher agrees with ignore on every path a walk reaches', () => {
  test.each(RULE_SETS.map(rules => [rules]))('%j', rules => {
    const reference = ignore({ ignorecase: false }).add(rules)
    const matcher = new ExcludeMatcher(rules)
    const paths = allPaths(FILES)
    const excludedDirs: string[] = []
    const compared: Array<[string, boolean, boolean]> = []
    for (const { rel, dir } of paths) {
      // The walk never goes below an excluded directory.
      if (excludedDirs.some(d => rel.startsWith(`${d}/`))) continue
      const ours = dir ? matcher.excludesDir(rel) : matcher.excludesFile(rel)
      const theirs = reference.ignores(dir ? `${rel}/` : rel)
      if (dir && ours) excludedDirs.push(rel)
      compared.push([rel, ours, theirs])
    }
    expect(compared.filter(([, ours, theirs]) => ours !== theirs)).toEqual([])
    expect(compared.length).toBeGreaterThan(10)
  })

  test('rules naming only directories never make it ask about files; any other rule does', () => {
    expect(new ExcludeMatcher(['node_modules/']).matchesFiles).toBe(false)
    expect(new ExcludeMatcher(['node_modules/', '!node_modules/', 'build/', '# x', '']).matchesFiles).toBe(false)
    expect(new ExcludeMatcher(['node_modules/', '*.log']).matchesFiles).toBe(true)
    expect(new ExcludeMatcher(['node_modules/', 'build']).matchesFiles).toBe(true)
  })

  test.each([
    ['node_modules/', false],
    ['!app.log', false],
    ['# build', false],
    ['', false],
    ['*.log', true],
    ['build', true],
    ['\\!important', true],
    ['\\#notes', true],
    ['build/ ', true],
    ['cache\\/', true],
    ['build//', true],
    ['/', true]
  ] as Array<[string, boolean]>)('canExcludeFile(%j) is %s', (pattern, can) => {
    expect(canExcludeFile(pattern)).toBe(can)
  })
})

describe('the walk with rules naming only directories', () => {
  test('a file named like an excluded directory is kept; the directory and what is under it are not', async () => {
    const root = buildTree(temp.make(), { node_modules: 'a file', 'a/node_modules/x.js': 'x', 'build/out.js': 'o', 'src/build': 'b' })
    expect((await walkSourceTree(root, ['build/'])).map(e => e.path)).toEqual(['a', 'node_modules', 'src', 'src/build'])
  })
})

describe('names read as text, bytes only where decoding may have lost some', () => {
  test('a UTF-8 name holding U+FFFD itself is bundled; a Latin-1 name beside it is refused by its bytes', async () => {
    const root = buildTree(temp.make(), { 'ok-\uFFFD.txt': 'x', 'caf\u00e9.txt': 'y' })
    expect((await walkSourceTree(root, [])).map(e => e.path)).toEqual(['caf\u00e9.txt', 'ok-\uFFFD.txt'])
    const fs = await import('node:fs')
    fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'z')
    await expect(walkSourceTree(root, [])).rejects.toThrow(`the file name 'caf\\xe9.txt' is not UTF-8`)
    // Excluded, it is looked at (by its bytes) and left out.
    expect((await walkSourceTree(root, ['caf*.txt', '!caf\u00e9.txt'])).map(e => e.path)).toEqual(['caf\u00e9.txt', 'ok-\uFFFD.txt'])
  })
})
