/** Exclusion rules as git applies them on Linux, and naming the rule that left a path out. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { walkSourceTree, excludedBy } from '../../../src/source/walk-tree.js'
import { buildTree, TempDirs } from '../../helpers/tree.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

describe('exclude patterns are case-sensitive, as git is on Linux', () => {
  test('*.LOG leaves app.log in; *.log takes it out', async () => {
    const root = buildTree(temp.make(), { 'app.log': 'x', 'APP.LOG': 'y', 'Node_Modules/x.js': 'kept: not node_modules' })
    expect((await walkSourceTree(root, ['*.LOG'])).map(e => e.path)).toEqual(['Node_Modules', 'Node_Modules/x.js', 'app.log'])
    expect((await walkSourceTree(root, ['*.log'])).map(e => e.path)).toEqual(['APP.LOG', 'Node_Modules', 'Node_Modules/x.js'])
  })
})

describe('links and special files', () => {
  test('a dangling link inside source-dir is kept as a link; a looping one too', async () => {
    const root = buildTree(temp.make(), {
      dangling: { symlink: 'not-there' },
      'loop-a': { symlink: 'loop-b' },
      'loop-b': { symlink: 'loop-a' }
    })
    const entries = await walkSourceTree(root, [])
    expect(entries.map(e => [e.path, e.kind, e.linkTarget])).toEqual([
      ['dangling', 'symlink', 'not-there'],
      ['loop-a', 'symlink', 'loop-b'],
      ['loop-b', 'symlink', 'loop-a']
    ])
  })

  test('a link to a directory that an exclude pattern names as a directory is left out', async () => {
    const root = buildTree(temp.make(), { 'real/x.txt': 'x', cache: { symlink: 'real' } })
    expect((await walkSourceTree(root, ['cache/'])).map(e => e.path)).toEqual(['real', 'real/x.txt'])
  })

  test('a FIFO is not bundled', async () => {
    const root = buildTree(temp.make(), { 'a.txt': 'a' })
    const { execFileSync } = await import('node:child_process')
    execFileSync('mkfifo', [path.join(root, 'pipe')])
    expect(fs.lstatSync(path.join(root, 'pipe')).isFIFO()).toBe(true)
    expect((await walkSourceTree(root, [])).map(e => e.path)).toEqual(['a.txt'])
  })
})

describe('excludedBy names the rule that leaves a path out', () => {
  test.each([
    ['.git/config', [], '.git'],
    ['sub/.git/HEAD', ['!.git/'], '.git'],
    ['node_modules/x/index.js', [], 'node_modules/'],
    ['a/node_modules/x.js', ['*.log'], 'node_modules/'],
    ['logs/today.log', ['*.log'], '*.log'],
    ['build/out.js', ['/build/', '*.map'], '/build/'],
    ['app.log', ['*.log', '!app.log'], undefined],
    ['src/index.js', ['*.log'], undefined],
    ['node_modules/x.js', ['!node_modules/'], undefined]
  ] as Array<[string, string[], string | undefined]>)('%s with %j: %s', (file, exclude, rule) => {
    expect(excludedBy(file, exclude)).toBe(rule)
  })
})
