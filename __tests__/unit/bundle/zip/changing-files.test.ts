/**
 * A file that changes while the zip writer reads it. Each piece of a big file is read on its own
 * (by any worker), re-reads the 32 KiB before it as the deflate window, and a file stored after a
 * misleading sample is read a second time: a change between two of those reads must fail the run,
 * never give an entry whose CRC its data does not match. The changes are made from onProgress,
 * which runs on the writing thread after a piece is written and before later pieces are read
 * (only 4 slots per worker are in flight), so each race happens the same way every time.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ActionError } from '../../../../src/core/errors.js'
import { writeBundle } from '../../../../src/bundle/write-bundle.js'
import { writeZip } from '../../../../src/bundle/zip/write-zip.js'
import { walkSourceTree, type Entry } from '../../../../src/source/walk-tree.js'
import { run } from '../../../helpers/archive.js'
import { buildTree, randomBytes, TempDirs } from '../../../helpers/tree.js'
import { writeOptions } from '../../../helpers/write-options.js'

const MB = 1 << 20
const temp = new TempDirs()
afterEach(() => temp.cleanup())

const text = (size: number, seed: number): Buffer => {
  const line = `line ${seed}: GET /api/orders 200 in 12ms\n`
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size))
}

/** Entries as a filesystem with coarse timestamps would give them: nothing but the size to compare. */
const withoutVersions = (entries: Entry[]): Entry[] =>
  entries.map(e => {
    const { listed, ...rest } = e
    void listed
    return rest
  })

async function failure(promise: Promise<unknown>): Promise<ActionError> {
  const error: unknown = await promise.then(
    () => new Error('expected the writer to fail'),
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}

describe('zip: a file that changes between its reads', () => {
  test('rewritten (same size) between the walk and the write: refused, naming the file and asking about a build step', async () => {
    const root = buildTree(temp.make(), { 'appspec.yml': 'version: 0.0\nos: linux\n', 'dist/app.js': text(4000, 1) })
    const entries = await walkSourceTree(root, [])
    fs.utimesSync(path.join(root, 'dist/app.js'), new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'))
    const out = temp.make()
    const error = await failure(writeBundle(entries, 'zip', writeOptions({ tempRoot: out })))
    expect(error.describe()).toMatch(
      /^Input 'source-dir': 'dist\/app\.js' changed while it was being bundled \(it was modified\)\. Fix: is a build step still writing 'dist\/app\.js'/
    )
    // Nothing half-written is left for an upload to pick up.
    expect(fs.readdirSync(out)).toEqual([])
  })

  test('replaced by another file (a new inode) between the walk and the write: refused', async () => {
    const root = buildTree(temp.make(), { 'app.js': text(4000, 1) })
    const entries = await walkSourceTree(root, [])
    fs.writeFileSync(path.join(root, 'app.js.new'), text(4000, 2))
    fs.renameSync(path.join(root, 'app.js.new'), path.join(root, 'app.js'))
    const error = await failure(writeZip(entries, path.join(temp.make(), 'b.zip'), writeOptions({ workers: 1 })))
    expect(error.message).toBe("'app.js' changed while it was being bundled (it was replaced by another file).")
  })

  test('replaced by a directory between the walk and the write: refused as replaced, naming the file', async () => {
    const root = buildTree(temp.make(), { 'app.js': text(4000, 1), 'lib.js': text(300, 2) })
    const entries = await walkSourceTree(root, [])
    // Moved aside, not removed, so the directory cannot be given the file's inode number.
    fs.renameSync(path.join(root, 'app.js'), path.join(root, 'app.js.old'))
    fs.mkdirSync(path.join(root, 'app.js'))
    const error = await failure(writeZip(entries, path.join(temp.make(), 'b.zip'), writeOptions({ workers: 1 })))
    expect(error.message).toBe("'app.js' changed while it was being bundled (it was replaced by another file).")
  })

  test('rewritten while its pieces are being read: refused at the next piece', async () => {
    const root = buildTree(temp.make(), { 'big.log': text(24 * MB, 1) })
    const entries = await walkSourceTree(root, [])
    let rewritten = false
    const onProgress = (): void => {
      if (rewritten) return
      rewritten = true
      fs.writeFileSync(path.join(root, 'big.log'), text(24 * MB, 2))
    }
    const error = await failure(writeZip(entries, path.join(temp.make(), 'b.zip'), writeOptions({ workers: 1, onProgress })))
    expect(rewritten).toBe(true)
    expect(error.message).toBe("'big.log' changed while it was being bundled (it was modified).")
  })

  test('timestamps that do not move: a piece primed with a window the previous piece did not hold is refused', async () => {
    const root = buildTree(temp.make(), { 'big.log': text(24 * MB, 1) })
    const entries = withoutVersions(await walkSourceTree(root, []))
    let rewritten = false
    const onProgress = (): void => {
      if (rewritten) return
      rewritten = true
      fs.writeFileSync(path.join(root, 'big.log'), text(24 * MB, 2))
    }
    const file = path.join(temp.make(), 'b.zip')
    const error = await failure(writeZip(entries, file, writeOptions({ workers: 1, onProgress })))
    expect(error.message).toBe("'big.log' changed while it was being bundled (its content differed between two reads).")
  })

  test('timestamps that do not move: a stored rewrite that reads other bytes than the first pass is refused, not given the old CRC', async () => {
    // The sample (a compressible start) says deflate; the whole does not compress, so it is written again, stored.
    const size = 16 * MB + (256 << 10)
    const root = buildTree(temp.make(), { 'mixed.bin': Buffer.concat([Buffer.alloc(256 << 10), randomBytes(16 * MB, 5)]) })
    const entries = withoutVersions(await walkSourceTree(root, []))
    let calls = 0
    const onProgress = (read: number): void => {
      // After the last piece was read and written, before the stored rewrite reads the file again:
      // the start of the file changes (same size), where no later window looks.
      if (read === size - (256 << 10) && ++calls === 1) {
        const fd = fs.openSync(path.join(root, 'mixed.bin'), 'r+')
        fs.writeSync(fd, Buffer.alloc(1024, 0x41), 0, 1024, 0)
        fs.closeSync(fd)
      }
    }
    const file = path.join(temp.make(), 'b.zip')
    const error = await failure(writeZip(entries, file, writeOptions({ workers: 1, onProgress })))
    expect(calls).toBe(1)
    expect(fs.existsSync(file)).toBe(true) // the sink was abandoned, not removed: writeBundle removes its directory
    expect(error.message).toBe("'mixed.bin' changed while it was being bundled (its content differed between two reads).")
  })

  test('a file left alone is written as before, and unzip -t accepts it', async () => {
    const root = buildTree(temp.make(), {
      'big.log': text(24 * MB, 1),
      'mixed.bin': Buffer.concat([Buffer.alloc(256 << 10), randomBytes(3 * MB, 5)])
    })
    const file = path.join(temp.make(), 'b.zip')
    const reads: number[] = []
    await writeZip(await walkSourceTree(root, []), file, writeOptions({ workers: 2, onProgress: (n: number) => reads.push(n) }))
    expect(run('unzip', ['-tq', file])).toMatch(/No errors detected/)
    expect(reads[reads.length - 1]).toBe(27 * MB + (256 << 10))
    expect(reads).toEqual([...reads].sort((a, b) => a - b))
  })
})
