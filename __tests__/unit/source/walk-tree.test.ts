import * as fs from 'node:fs'
import * as path from 'node:path'
import { walkSourceTree, type Entry, type FileVersion } from '../../../src/source/walk-tree.js'
import { ActionError } from '../../../src/core/errors.js'
import { EntryFeed } from '../../../src/source/entry-feed.js'
import { ListedEntry } from '../../../src/source/entry.js'
import { buildTree, inDir, TempDirs, type Node } from '../../helpers/tree.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

/** A fresh tree under `<tmp>/src`, with `<tmp>/outside` next to it for links that escape. */
function tree(spec: Record<string, Node>): string {
  const parent = temp.make()
  buildTree(parent, { 'outside/secret.txt': 'outside the source dir' })
  return buildTree(path.join(parent, 'src'), spec)
}

async function paths(spec: Record<string, Node>, exclude: string[] = []): Promise<string[]> {
  return (await walkSourceTree(tree(spec), exclude)).map(e => e.path)
}

async function collectError(root: string, exclude: string[] = []): Promise<ActionError> {
  const error: unknown = await walkSourceTree(root, exclude).then(
    entries => new Error(`expected an ActionError, got ${entries.map(e => e.path).join(', ')}`),
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}

describe('walkSourceTree order and metadata', () => {
  test('entries are sorted by path (code units), directories listed before their content', async () => {
    const root = tree({
      'b.txt': 'b',
      'a/z.txt': 'z',
      'a-b.txt': 'ab',
      // A folder whose name sorts after 'a' but whose contents sort before a/'s ('-' < '/').
      'a-c/d.txt': 'd',
      'A.txt': 'upper',
      'a/b/c.txt': 'c',
      '_x.txt': 'x',
      'a.txt': 'a'
    })
    const entries = await walkSourceTree(root, [])
    const list = entries.map(e => e.path)
    expect(list).toEqual(['A.txt', '_x.txt', 'a', 'a-b.txt', 'a-c', 'a-c/d.txt', 'a.txt', 'a/b', 'a/b/c.txt', 'a/z.txt', 'b.txt'])
    expect(list).toEqual([...list].sort())
  })

  test('files, directories and links are listed in one shape, with the same fields in the same order', async () => {
    // Per-entry code in the writers then sees one shape, not one per kind (see ListedEntry).
    const entries = await walkSourceTree(tree({ 'app.js': 'x', 'lib/util.js': 'y', 'lib/link.js': { symlink: 'util.js' } }), [])
    expect(entries.map(e => e.kind)).toEqual(['file', 'dir', 'symlink', 'file'])
    for (const entry of entries) {
      expect(entry).toBeInstanceOf(ListedEntry)
      expect(Object.keys(entry)).toEqual(['path', 'kind', 'mode', 'size', 'diskPath', 'linkTarget', 'listed'])
    }
    expect(entries.find(e => e.kind === 'symlink')?.linkTarget).toBe('util.js')
    expect(entries.filter(e => e.listed !== undefined).map(e => e.path)).toEqual(['app.js', 'lib/util.js'])
  })

  test('with a feed: the same entries in the same order, handed out while the walk goes on', async () => {
    // 3 folders of 700 files: more than a turn of the event loop's worth (1,024 entries).
    const spec: Record<string, Node> = { 'a-b.txt': 'x', 'a.txt': 'y' }
    for (const dir of ['a', 'a b', 'b']) for (let i = 0; i < 700; i++) spec[`${dir}/f${String(i).padStart(3, '0')}`] = `${dir}${i}`
    const root = tree(spec)
    const feed = new EntryFeed()
    const seenDuring: number[] = []
    const watcher = (async () => {
      while (!feed.done) {
        seenDuring.push(feed.entries.length)
        await feed.more(feed.entries.length, new AbortController().signal)
      }
    })()
    const entries = await walkSourceTree(root, [], feed)
    await watcher
    expect(entries).toBe(feed.entries)
    expect(entries.map(e => e.path)).toEqual((await walkSourceTree(root, [])).map(e => e.path))
    expect(entries.map(e => e.path)).toEqual(entries.map(e => e.path).sort())
    // Some entries were there to package before the last one was found.
    expect(seenDuring.some(n => n > 0 && n < entries.length)).toBe(true)
  })

  test('with a feed: a walk that fails fails the feed with the same error', async () => {
    const root = tree({ 'ok.txt': 'fine', 'bad\\name.txt': 'x' })
    const feed = new EntryFeed()
    const walked = walkSourceTree(root, [], feed).catch((e: unknown) => e)
    const waited = feed.more(10, new AbortController().signal).catch((e: unknown) => e)
    const [walkError, feedError] = await Promise.all([walked, waited])
    expect(walkError).toBeInstanceOf(ActionError)
    expect(feedError).toBe(walkError)
  })

  test('each entry records kind, mode, size, where it is on disk, and for a file the version it was listed at', async () => {
    const root = tree({
      'run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      'data.bin': Buffer.alloc(1234, 7),
      conf: { dir: true, mode: 0o750 }
    })
    const real = fs.realpathSync(root)
    const byPath = Object.fromEntries((await walkSourceTree(root, [])).map(e => [e.path, e]))
    const listed = (name: string): FileVersion => {
      const st = fs.lstatSync(path.join(real, name))
      return { ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs }
    }
    expect(byPath).toEqual({
      conf: { path: 'conf', kind: 'dir', mode: 0o750, size: 0, diskPath: path.join(real, 'conf') },
      'data.bin': {
        path: 'data.bin',
        kind: 'file',
        mode: 0o644,
        size: 1234,
        diskPath: path.join(real, 'data.bin'),
        listed: listed('data.bin')
      },
      'run.sh': { path: 'run.sh', kind: 'file', mode: 0o755, size: 18, diskPath: path.join(real, 'run.sh'), listed: listed('run.sh') }
    } satisfies Record<string, Entry>)
  })
})

describe('how files are named to the file system (diskPath)', () => {
  const spec: Record<string, Node> = { 'app.js': 'x', 'lib/util.js': 'y', 'lib/link.js': { symlink: 'util.js' } }

  test('inside the working directory: by a path from there (bare names at its root), the same entries otherwise', async () => {
    const root = fs.realpathSync(tree(spec))
    const outside = await walkSourceTree(root, [])
    const atRoot = await inDir(root, () => walkSourceTree(root, []))
    const above = await inDir(path.dirname(root), () => walkSourceTree(root, []))
    expect(outside.map(e => e.diskPath)).toEqual(['app.js', 'lib', 'lib/link.js', 'lib/util.js'].map(p => path.join(root, p)))
    expect(atRoot.map(e => e.diskPath)).toEqual(['app.js', 'lib', 'lib/link.js', 'lib/util.js'])
    expect(above.map(e => e.diskPath)).toEqual(['src/app.js', 'src/lib', 'src/lib/link.js', 'src/lib/util.js'])
    const rest = (entries: Entry[]): unknown[] => entries.map(({ diskPath: _, ...e }) => e)
    expect(rest(atRoot)).toEqual(rest(outside))
    expect(rest(above)).toEqual(rest(outside))
  })

  test('a link that escapes is refused the same when walked from inside the working directory', async () => {
    const root = tree({ 'app.js': 'x', 'lib/out.txt': { symlink: '../../outside/secret.txt' } })
    const error = await inDir(root, () => collectError(root))
    expect(error.message).toBe(`symlink 'lib/out.txt' points to '../../outside/secret.txt', outside source-dir.`)
  })
})

describe('.git is never bundled', () => {
  const spec: Record<string, Node> = {
    '.git/config': '[http]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n',
    '.git/HEAD': 'ref: refs/heads/main\n',
    'vendor/lib/.git': 'gitdir: ../../.git/modules/lib\n',
    'vendor/lib/index.js': 'x',
    '.gitignore': 'node_modules\n',
    '.github/workflows/deploy.yml': 'on: push\n',
    'app.js': 'x'
  }

  test.each([[[]], [['!.git/']], [['!.git']], [['!**/.git/**', '!.git/config']]])('exclude %j', async exclude => {
    const list = await paths(spec, exclude)
    expect(list.filter(p => p.split('/').includes('.git'))).toEqual([])
    // Look-alikes stay.
    expect(list).toEqual([
      '.github',
      '.github/workflows',
      '.github/workflows/deploy.yml',
      '.gitignore',
      'app.js',
      'vendor',
      'vendor/lib',
      'vendor/lib/index.js'
    ])
  })
})

describe('node_modules', () => {
  const spec: Record<string, Node> = {
    'node_modules/left-pad/index.js': 'x',
    'a/node_modules/dep/index.js': 'y',
    'a/index.js': 'z',
    'node_modules_backup.txt': 'kept: not a node_modules directory'
  }

  test('excluded by default, at any depth', async () => {
    expect(await paths(spec)).toEqual(['a', 'a/index.js', 'node_modules_backup.txt'])
  })

  // Fixed: a node_modules symlink (pnpm, a restored cache) used to be bundled, or refused when it pointed outside.
  test('a node_modules symlink is excluded by default too', async () => {
    const root = tree({ 'index.js': 'x', node_modules: { symlink: '../outside' } })
    expect((await walkSourceTree(root, [])).map(e => e.path)).toEqual(['index.js'])
  })

  test('brought back by !node_modules/', async () => {
    expect(await paths(spec, ['!node_modules/'])).toEqual([
      'a',
      'a/index.js',
      'a/node_modules',
      'a/node_modules/dep',
      'a/node_modules/dep/index.js',
      'node_modules',
      'node_modules/left-pad',
      'node_modules/left-pad/index.js',
      'node_modules_backup.txt'
    ])
  })
})

describe('gitignore-style exclude patterns', () => {
  const spec: Record<string, Node> = {
    'app.log': 'x',
    'logs/deep/trace.log': 'x',
    'log.txt': 'kept',
    'build/out.js': 'x',
    'src/build/keep.js': 'kept: /build/ is anchored',
    'docs/a.md': 'x',
    'docs/x/y/b.md': 'x',
    'docs/img.png': 'kept',
    'other/docs/c.md': 'kept: docs/**/*.md is anchored',
    'README.md': 'kept'
  }

  test.each([
    [['*.log'], ['logs/deep/trace.log', 'app.log']],
    [['/build/'], ['build', 'build/out.js']],
    [['docs/**/*.md'], ['docs/a.md', 'docs/x/y/b.md']],
    [['*.log', '!app.log'], ['logs/deep/trace.log']],
    [
      ['# a comment', '*.log'],
      ['logs/deep/trace.log', 'app.log']
    ]
  ])('%j leaves out exactly %j', async (exclude, gone) => {
    const all = await paths(spec)
    const kept = await paths(spec, exclude)
    expect(all.filter(p => !kept.includes(p)).sort()).toEqual([...gone].sort())
  })
})

describe('symlinks', () => {
  test('a link inside source-dir is kept as a link, never followed', async () => {
    const root = tree({
      'dir/target.txt': 'target',
      'link-to-file': { symlink: 'dir/target.txt' },
      'link-to-dir': { symlink: 'dir' },
      'dir/up': { symlink: '../dir/target.txt' }
    })
    const entries = await walkSourceTree(root, [])
    expect(entries.map(e => e.path)).toEqual(['dir', 'dir/target.txt', 'dir/up', 'link-to-dir', 'link-to-file'])
    const links = entries.filter(e => e.kind === 'symlink').map(e => [e.path, e.linkTarget, e.mode, e.size])
    expect(links).toEqual([
      ['dir/up', '../dir/target.txt', 0o777, 0],
      ['link-to-dir', 'dir', 0o777, 0],
      ['link-to-file', 'dir/target.txt', 0o777, 0]
    ])
  })

  test.each([
    [
      'to ../outside',
      { 'a.txt': 'a', escape: { symlink: '../outside/secret.txt' } },
      'escape',
      /points to '\.\.\/outside\/secret\.txt', outside source-dir\./
    ],
    ['to its parent directory', { parent: { symlink: '..' } }, 'parent', /points to '\.\.', outside source-dir\./],
    ['nested, climbing out', { 'deep/er/up': { symlink: '../../../outside' } }, 'deep/er/up', /outside source-dir\./],
    ['to an absolute path', { abs: { symlink: '/etc/passwd' } }, 'abs', /points to '\/etc\/passwd', an absolute path/],
    [
      'a chain whose last hop escapes',
      { 'a-start': { symlink: 'z-hop' }, 'z-hop': { symlink: '../outside/secret.txt' } },
      'a-start',
      /points to 'z-hop', outside source-dir once resolved\./
    ],
    [
      'a relative link through a directory link that escapes',
      { 'b-out': { symlink: '../outside' }, 'a-via': { symlink: 'b-out/secret.txt' } },
      'a-via',
      /outside source-dir once resolved/
    ]
  ])('a link %s is refused, naming the link', async (_why, spec, link, message) => {
    const root = tree(spec as Record<string, Node>)
    const error = await collectError(root)
    expect(error.message).toMatch(new RegExp(`^symlink '${link}' `))
    expect(error.message).toMatch(message)
    expect(error.input).toBe('source-dir')
    expect(error.describe()).toContain(`Fix: make the link point inside source-dir, or add '${link}' to exclude.`)
  })

  test('an absolute link is refused even when it points inside (it would resolve on the instance)', async () => {
    const root = tree({ 'inside.txt': 'x' })
    fs.symlinkSync(path.join(fs.realpathSync(root), 'inside.txt'), path.join(root, 'abs-in'))
    const error = await collectError(root)
    expect(error.message).toMatch(/^symlink 'abs-in' points to '\/.*inside\.txt', an absolute path/)
  })

  test('an escaping link that is excluded is not looked at', async () => {
    const root = tree({ 'a.txt': 'a', escape: { symlink: '../outside/secret.txt' } })
    expect((await walkSourceTree(root, ['escape'])).map(e => e.path)).toEqual(['a.txt'])
  })
})

describe('file names that are not UTF-8', () => {
  test('refused with one ActionError that shows the bytes', async () => {
    const root = tree({ 'docs/readme.txt': 'hi' })
    fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/docs/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1')
    const error = await collectError(root)
    expect(error.input).toBe('source-dir')
    expect(error.describe()).toContain(`the file name 'docs/caf\\xe9.txt' is not UTF-8`)
  })

  test('a directory name too', async () => {
    const root = tree({ 'a.txt': 'a' })
    fs.mkdirSync(Buffer.concat([Buffer.from(`${root}/r`), Buffer.from([0xe9, 0x73]), Buffer.from('ume')]))
    expect((await collectError(root)).describe()).toContain(`'r\\xe9sume' is not UTF-8`)
  })

  test('one that is excluded is not refused', async () => {
    const root = tree({ 'a.txt': 'a' })
    fs.mkdirSync(path.join(root, 'legacy'))
    fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/legacy/caf`), Buffer.from([0xe9])]), 'x')
    expect((await walkSourceTree(root, ['legacy/'])).map(e => e.path)).toEqual(['a.txt'])
  })
})
