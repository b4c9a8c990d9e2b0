/**
 * A file that changes while the tar writer packages it. Every read is checked against the walk's
 * lstat (size, inode, mtime, ctime); a file read more than once (it spans pieces, or sits in the
 * 32 KiB a piece is primed with) must be the same file each time. A change fails the run, names
 * the file, and leaves no archive behind: a tar whose header size disagrees with its data is never
 * written. Changes during the write are made from onProgress, which runs after a piece is written
 * and before the pieces past the read-ahead (2 per worker, plus one) are read, so each race
 * happens the same way every time.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { writeTar } from '../../../../src/bundle/tar/write-tar.js'
import { writeTgz } from '../../../../src/bundle/tar/write-tgz.js'
import { ActionError } from '../../../../src/core/errors.js'
import { walkSourceTree, type Entry } from '../../../../src/source/walk-tree.js'
import { buildTree, TempDirs } from '../../../helpers/tree.js'
import { writeOptions } from '../../../helpers/write-options.js'

const MB = 1 << 20
const temp = new TempDirs()
afterEach(() => temp.cleanup())

const text = (size: number, seed: number): Buffer => {
  const line = `line ${seed}: GET /api/orders 200 in 12ms\n`
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size))
}

/** Entries without the walk's inode and times (as a hand-made list has): only the reads themselves to compare. */
const withoutVersions = (entries: Entry[]): Entry[] =>
  entries.map(e => {
    const { listed, ...rest } = e
    void listed
    return rest
  })

/**
 * New content over the old, in place: the size never changes, so a read racing with it can only
 * see other bytes, and the time is set far off so no coarse clock hides the change.
 */
function overwrite(file: string, data: Buffer): void {
  const fd = fs.openSync(file, 'r+')
  try {
    fs.writeSync(fd, data, 0, data.length, 0)
  } finally {
    fs.closeSync(fd)
  }
  fs.utimesSync(file, new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'))
}

/** The writer's failure (an ActionError), and whether the archive it was writing is gone. */
async function failure(write: (file: string) => Promise<unknown>): Promise<{ error: ActionError; left: boolean }> {
  const file = path.join(temp.make(), 'bundle.tgz')
  const error: unknown = await write(file).then(
    () => new Error('expected the writer to fail'),
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ActionError)
  return { error: error as ActionError, left: fs.existsSync(file) }
}

describe('tar: a file that changes after the walk listed it', () => {
  test('grew: refused, naming the file and asking about a build step; no archive left', async () => {
    const root = buildTree(temp.make(), { 'appspec.yml': 'version: 0.0\nos: linux\n', 'dist/app.js': text(4000, 1) })
    const entries = await walkSourceTree(root, [])
    fs.appendFileSync(path.join(root, 'dist/app.js'), 'more')
    const { error, left } = await failure(file => writeTgz(entries, file, writeOptions()))
    expect(error.describe()).toMatch(
      /^Input 'source-dir': 'dist\/app\.js' changed while it was being bundled \(it grew\)\. Fix: is a build step still writing 'dist\/app\.js'/
    )
    expect(left).toBe(false)
  })

  test('shorter: refused', async () => {
    const root = buildTree(temp.make(), { 'app.js': text(4000, 1) })
    const entries = await walkSourceTree(root, [])
    fs.truncateSync(path.join(root, 'app.js'), 100)
    const { error, left } = await failure(file => writeTar(entries, file, writeOptions()))
    expect(error.message).toBe("'app.js' changed while it was being bundled (it is shorter than when it was listed).")
    expect(left).toBe(false)
  })

  test('an empty file that is no longer empty: refused', async () => {
    const root = buildTree(temp.make(), { 'a.txt': 'a', 'empty.log': '' })
    const entries = await walkSourceTree(root, [])
    fs.writeFileSync(path.join(root, 'empty.log'), 'written after the walk')
    const { error } = await failure(file => writeTgz(entries, file, writeOptions()))
    expect(error.message).toBe("'empty.log' changed while it was being bundled (it grew).")
  })

  test('rewritten with the same size: refused (it was modified)', async () => {
    const root = buildTree(temp.make(), { 'app.js': text(4000, 1) })
    const entries = await walkSourceTree(root, [])
    fs.writeFileSync(path.join(root, 'app.js'), text(4000, 2))
    fs.utimesSync(path.join(root, 'app.js'), new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'))
    const { error } = await failure(file => writeTgz(entries, file, writeOptions()))
    expect(error.message).toBe("'app.js' changed while it was being bundled (it was modified).")
  })

  test('replaced by another file of the same size (a new inode): refused', async () => {
    const root = buildTree(temp.make(), { 'app.js': text(4000, 1) })
    const entries = await walkSourceTree(root, [])
    fs.writeFileSync(path.join(root, 'app.js.new'), text(4000, 2))
    fs.renameSync(path.join(root, 'app.js.new'), path.join(root, 'app.js'))
    const { error } = await failure(file => writeTgz(entries, file, writeOptions({ workers: 1 })))
    expect(error.message).toBe("'app.js' changed while it was being bundled (it was replaced by another file).")
  })

  test('replaced by a directory: refused as replaced, naming the file', async () => {
    const root = buildTree(temp.make(), { 'app.js': text(4000, 1), 'lib.js': text(300, 2) })
    const entries = await walkSourceTree(root, [])
    // Moved aside, not removed, so the directory cannot be given the file's inode number.
    fs.renameSync(path.join(root, 'app.js'), path.join(root, 'app.js.old'))
    fs.mkdirSync(path.join(root, 'app.js'))
    const { error, left } = await failure(file => writeTgz(entries, file, writeOptions({ workers: 1 })))
    expect(error.message).toBe("'app.js' changed while it was being bundled (it was replaced by another file).")
    expect(left).toBe(false)
  })

  test('removed: refused as unreadable, named by its path in the bundle', async () => {
    const root = buildTree(temp.make(), { 'a/gone.txt': 'soon gone' })
    const entries = await walkSourceTree(root, [])
    fs.rmSync(path.join(root, 'a/gone.txt'))
    const { error, left } = await failure(file => writeTgz(entries, file, writeOptions()))
    expect(error.message).toMatch(/^could not read 'a\/gone\.txt' to bundle it \(ENOENT/)
    expect(left).toBe(false)
  })
})

describe('tar: a file that changes while its pieces are read', () => {
  test.each([
    ['the walk recorded its inode and times', (e: Entry[]) => e],
    ['the entries carry no inode or times (each read compared with the first)', withoutVersions]
  ])('rewritten (same size) after its first piece is written, %s: refused', async (_how, prepare) => {
    const root = buildTree(temp.make('cda-change-', { fast: true }), { 'big.log': text(40 * MB, 1) })
    const entries = prepare(await walkSourceTree(root, []))
    let rewritten = false
    const onProgress = (): void => {
      if (rewritten) return
      rewritten = true
      overwrite(path.join(root, 'big.log'), text(40 * MB, 2))
    }
    const { error, left } = await failure(file => writeTgz(entries, file, writeOptions({ workers: 1, onProgress })))
    expect(rewritten).toBe(true)
    expect(error.message).toBe("'big.log' changed while it was being bundled (it was modified).")
    expect(left).toBe(false)
  })

  test('cut short after its first piece is written: refused, never a header that disagrees with its data', async () => {
    const root = buildTree(temp.make('cda-change-', { fast: true }), { 'big.log': text(40 * MB, 1), 'z.txt': 'after' })
    const entries = withoutVersions(await walkSourceTree(root, []))
    let cut = false
    const onProgress = (): void => {
      if (cut) return
      cut = true
      fs.truncateSync(path.join(root, 'big.log'), 30 * MB)
    }
    const { error, left } = await failure(file => writeTar(entries, file, writeOptions({ workers: 1, onProgress })))
    expect(error.message).toBe("'big.log' changed while it was being bundled (it is shorter than when it was listed).")
    expect(left).toBe(false)
  })
})
