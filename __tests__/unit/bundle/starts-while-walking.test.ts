/**
 * A writer fed by the walk starts work on what the walk finds while an earlier job is still being
 * read: a second thread does not wait idle for the first to finish. The earlier job is held up by
 * a FIFO nobody writes to (opening it for reading blocks until a writer comes); the later one holds
 * another FIFO, and opening that one for writing without blocking succeeds only once a worker
 * has opened it for reading, which shows the later job was started. And a writer's first job goes
 * to a thread while the walk still holds the event loop: the writer awaits nothing of its own first.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { writeTgz } from '../../../src/bundle/tar/write-tgz.js'
import { writeBundle } from '../../../src/bundle/write-bundle.js'
import { writeZip } from '../../../src/bundle/zip/write-zip.js'
import { EntryFeed } from '../../../src/source/entry-feed.js'
import type { Entry } from '../../../src/source/walk-tree.js'
import { TempDirs } from '../../helpers/tree.js'
import { writeOptions } from '../../helpers/write-options.js'

const KB = 1 << 10
const MB = 1 << 20
const temp = new TempDirs()
afterAll(() => temp.cleanup())

/** An entry as the walk lists it; `size` is what the walk says, whatever the file holds. */
function entry(root: string, name: string, size: number): Entry {
  const absolute = path.join(root, name)
  const stat = fs.lstatSync(absolute)
  return {
    path: name,
    kind: 'file',
    mode: 0o644,
    size,
    diskPath: absolute,
    listed: { ino: stat.ino, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs }
  }
}

function fifo(root: string, name: string): string {
  const file = path.join(root, name)
  execFileSync('mkfifo', [file])
  return file
}

/** Opens the FIFO's write end if a reader has it open (or is opening it), and closes it at once: the reader then reads EOF. */
function release(file: string): boolean {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK))
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENXIO') return false
    throw error
  }
}

/** Whether a reader opened `file` within `ms` (releasing it when one did). */
async function readerCame(file: string, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until;) {
    if (release(file)) return true
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return false
}

test.each([
  // Piece 0 holds the first FIFO and the start of a 4.5 MB file; piece 1, the rest of it and the second FIFO.
  ['tgz', writeTgz, { first: 1, filler: 4.5 * MB, second: 1 }],
  // 512 KB is a whole batch: the first FIFO is one batch, the second another.
  ['zip', writeZip, { first: 512 * KB, filler: 0, second: 512 * KB }]
] as const)('%s: a job the walk completes later starts while an earlier one is still being read', async (_type, write, sizes) => {
  const root = temp.make('cda-overlap-')
  const first = fifo(root, 'a-first')
  const filler = path.join(root, 'b-filler')
  fs.writeFileSync(filler, Buffer.alloc(sizes.filler, 'x'))
  const second = fifo(root, 'c-second')
  const feed = new EntryFeed()
  feed.push(
    sizes.filler > 0 ? [entry(root, 'a-first', sizes.first), entry(root, 'b-filler', sizes.filler)] : [entry(root, 'a-first', sizes.first)]
  )
  const writing = write(feed, path.join(temp.make(), 'bundle'), writeOptions({ workers: 2 }))
  const outcome = writing.then(
    () => 'written',
    (error: unknown) => String(error)
  )
  try {
    // The first job is under way, its thread held at the first FIFO; then the walk finds the rest.
    await new Promise(resolve => setTimeout(resolve, 200))
    feed.push([entry(root, 'c-second', sizes.second)])
    feed.end()
    expect(await readerCame(second, 5000)).toBe(true)
    // Only now is the first FIFO let go.
    expect(await readerCame(first, 5000)).toBe(true)
  } finally {
    release(first)
    release(second)
  }
  // Neither FIFO held the bytes the walk listed: the writer refuses the bundle.
  expect(await outcome).toMatch(/a-first|c-second/)
})

/** Waits `ms` without letting the event loop turn: as the walk holds it while it lists a directory. */
function holdEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

test.each([
  // A piece's worth: the FIFO and a 4.5 MB file.
  ['tgz', 1, 4.5 * MB],
  // 512 KB is a whole batch.
  ['zip', 512 * KB, 0]
] as const)(
  '%s: the first job goes to a thread before the event loop turns once (the walk holds it a directory at a time)',
  async (type, size, filler) => {
    const root = temp.make('cda-first-job-')
    const first = fifo(root, 'a-first')
    fs.writeFileSync(path.join(root, 'b-filler'), Buffer.alloc(filler, 'x'))
    const feed = new EntryFeed()
    const writing = writeBundle(feed, type, writeOptions({ tempRoot: temp.make() }))
    const outcome = writing.then(
      () => 'written',
      (error: unknown) => String(error)
    )
    // The walk finds a job's worth of entries, and goes on listing without a turn of the event loop.
    feed.push(filler > 0 ? [entry(root, 'a-first', size), entry(root, 'b-filler', filler)] : [entry(root, 'a-first', size)])
    for (let i = 0; i < 100; i++) await Promise.resolve()
    let opened = false
    try {
      for (const until = Date.now() + 5000; !opened && Date.now() < until; holdEventLoop(5)) opened = release(first)
    } finally {
      release(first)
      feed.end()
    }
    expect(opened).toBe(true)
    // The FIFO did not hold the bytes the walk listed: the writer refuses the bundle.
    expect(await outcome).toMatch(/a-first/)
  }
)
