/**
 * A cancel while the tar writer runs: the runner sends SIGINT and kills the step 7.5 s later, so
 * the writer stops within a second of the signal, rejects with the abort, stops its worker
 * threads and removes what it had written.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { writeTar } from '../../../../src/bundle/tar/write-tar.js'
import { writeTgz } from '../../../../src/bundle/tar/write-tgz.js'
import { walkSourceTree, type Entry } from '../../../../src/source/walk-tree.js'
import { buildTree, randomBytes, TempDirs } from '../../../helpers/tree.js'
import { COMMIT_TIME, writeOptions } from '../../../helpers/write-options.js'

const MB = 1 << 20
const temp = new TempDirs()
let entries: Entry[]
let total: number
afterAll(() => temp.cleanup())

/** Threads of this process (Linux): a worker thread still running shows as one more. */
const threads = (): number => fs.readdirSync('/proc/self/task').length

beforeAll(async () => {
  const spec: Record<string, Buffer | string> = { 'appspec.yml': 'version: 0.0\nos: linux\n' }
  // Random data, which deflate is slowest on: 96 MiB take seconds to compress.
  for (let i = 0; i < 12; i++) spec[`data/${i}.bin`] = randomBytes(8 * MB, i + 1)
  for (let i = 0; i < 300; i++) spec[`src/${i}.js`] = `export const n = ${i}\n`.repeat(50)
  const root = buildTree(temp.make('cda-cancel-', { fast: true }), spec)
  entries = await walkSourceTree(root, [])
  total = entries.reduce((n, e) => n + e.size, 0)
  // Once, so the threads Node starts on first use (its fs thread pool) are counted before the cancel.
  await writeTgz(entries.slice(0, 20), path.join(temp.make(), 'warm.tgz'), writeOptions())
})

async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; at: number }> {
  return promise.then(
    () => ({ error: new Error('expected a rejection'), at: Date.now() }),
    (error: unknown) => ({ error, at: Date.now() })
  )
}

test.each([
  ['tgz', writeTgz],
  ['tar', writeTar]
])(
  '%s: aborted after the first piece, the writer rejects within a second, its threads stopped and its file gone',
  async (_type, write) => {
    const before = threads()
    const file = path.join(temp.make(), 'bundle')
    const cancel = new AbortController()
    let abortedAt = 0
    let lastRead = 0
    const onProgress = (read: number): void => {
      lastRead = read
      if (abortedAt === 0) {
        abortedAt = Date.now()
        cancel.abort()
      }
    }
    const { error, at } = await rejection(write(entries, file, { mtime: COMMIT_TIME, signal: cancel.signal, onProgress, workers: 2 }))
    expect(error).toMatchObject({ name: 'AbortError' })
    expect(abortedAt).toBeGreaterThan(0)
    expect(at - abortedAt).toBeLessThan(1000)
    expect(lastRead).toBeLessThan(total) // it stopped; it did not finish and then notice
    expect(fs.existsSync(file)).toBe(false)
    expect(threads()).toBe(before)
  },
  30_000
)

test('aborted while a piece is being deflated (not between pieces): rejects within a second', async () => {
  // Text deflates slowly at level 9 (random data does not: it is stored, and 96 MiB of it were
  // written in under 150 ms on CI, before a timed abort came). The abort comes on the next turn
  // of the event loop after the first piece is written: the writer is then waiting on the next
  // piece, which the one worker is still deflating.
  const root = buildTree(temp.make('cda-cancel-text-', { fast: true }), {
    'appspec.yml': 'version: 0.0\nos: linux\n',
    ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`text/${i}.txt`, wordText(8 * MB, i + 1)]))
  })
  const text = await walkSourceTree(root, [])
  const before = threads()
  const file = path.join(temp.make(), 'bundle.tgz')
  const cancel = new AbortController()
  let abortedAt = 0
  let lastRead = 0
  let readAtAbort = -1
  const onProgress = (read: number): void => {
    lastRead = read
    if (abortedAt !== 0) return
    abortedAt = -1
    setTimeout(() => {
      abortedAt = Date.now()
      readAtAbort = lastRead
      cancel.abort()
    }, 0)
  }
  const { error, at } = await rejection(
    writeTgz(text, file, { mtime: COMMIT_TIME, signal: cancel.signal, onProgress, level: 9, workers: 1 })
  )
  expect(error).toMatchObject({ name: 'AbortError' })
  expect(abortedAt).toBeGreaterThan(0)
  expect(at - abortedAt).toBeLessThan(1000)
  // Not one more piece written: the writer stopped waiting for the piece in deflation.
  expect(lastRead).toBe(readAtAbort)
  expect(lastRead).toBeLessThan(text.reduce((n, e) => n + e.size, 0))
  expect(fs.existsSync(file)).toBe(false)
  expect(threads()).toBe(before)
}, 30_000)

/** `size` bytes of words (seeded): text that deflate finds matches in, and spends time on at level 9. */
function wordText(size: number, seed: number): Buffer {
  const words = randomBytes(4096, seed)
    .toString('hex')
    .match(/.{2,9}/g)!
  const picks = randomBytes(size / 4, seed + 100)
  const out: string[] = []
  let length = 0
  for (let i = 0; length < size; i = (i + 1) % picks.length) {
    const word = words[picks[i]! % words.length]!
    out.push(word)
    length += word.length + 1
  }
  return Buffer.from(out.join(' ')).subarray(0, size)
}

test('a signal aborted before the start writes nothing at all', async () => {
  const file = path.join(temp.make(), 'bundle.tgz')
  const { error } = await rejection(writeTgz(entries, file, { mtime: COMMIT_TIME, signal: AbortSignal.abort() }))
  expect(error).toMatchObject({ name: 'AbortError' })
  expect(fs.existsSync(file)).toBe(false)
})
