/**
 * A cancel while packaging: the runner sends SIGINT and kills the step 7.5 s later, so the zip
 * writer and the hash stop within a second of the signal, and nothing half-written is left.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { sha256File, writeBundle } from '../../../src/bundle/write-bundle.js'
import { walkSourceTree } from '../../../src/source/walk-tree.js'
import { buildTree, TempDirs } from '../../helpers/tree.js'
import { COMMIT_TIME } from '../../helpers/write-options.js'

const MB = 1 << 20
const temp = new TempDirs()
afterAll(() => temp.cleanup())

const text = (size: number, seed: number): Buffer => {
  const line = `${seed} deploy bundle instance hook ${seed * 7919}\n`
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size))
}

async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; at: number }> {
  return promise.then(
    () => ({ error: new Error('expected a rejection'), at: Date.now() }),
    (error: unknown) => ({ error, at: Date.now() })
  )
}

test('zip: aborted after the first MiB of a 96 MiB tree, writeBundle rejects within a second and removes its directory', async () => {
  const spec: Record<string, Buffer> = {}
  for (let i = 0; i < 12; i++) spec[`logs/${i}.log`] = text(8 * MB, i)
  for (let i = 0; i < 300; i++) spec[`src/${i}.js`] = text(20_000, i)
  const root = buildTree(temp.make('cda-cancel-', { fast: true }), spec)
  const entries = await walkSourceTree(root, [])
  const out = temp.make()
  const cancel = new AbortController()
  let abortedAt = 0
  let lastRead = 0
  const onProgress = (read: number): void => {
    lastRead = read
    if (abortedAt === 0 && read >= MB) {
      abortedAt = Date.now()
      cancel.abort()
    }
  }
  const { error, at } = await rejection(
    writeBundle(entries, 'zip', { mtime: COMMIT_TIME, signal: cancel.signal, tempRoot: out, onProgress })
  )
  expect((error as Error).name).toBe('AbortError')
  expect(abortedAt).toBeGreaterThan(0)
  expect(at - abortedAt).toBeLessThan(1000)
  expect(lastRead).toBeLessThan(96 * MB) // it stopped; it did not finish and then notice
  expect(fs.readdirSync(out)).toEqual([])
}, 30_000)

test('zip: a signal aborted before the start writes nothing at all', async () => {
  const root = buildTree(temp.make(), { 'appspec.yml': 'version: 0.0\nos: linux\n' })
  const out = temp.make()
  const { error } = await rejection(
    writeBundle(await walkSourceTree(root, []), 'zip', { mtime: COMMIT_TIME, signal: AbortSignal.abort(), tempRoot: out })
  )
  expect((error as Error).name).toBe('AbortError')
  expect(fs.readdirSync(out)).toEqual([])
})

test('sha256File stops within a second of the signal, at the next MiB', async () => {
  const file = path.join(temp.make('cda-cancel-', { fast: true }), 'big.bin')
  fs.writeFileSync(file, text(256 * MB, 3))
  const cancel = new AbortController()
  const hashing = rejection(sha256File(file, cancel.signal))
  await new Promise(resolve => setTimeout(resolve, 20))
  const abortedAt = Date.now()
  cancel.abort()
  const { error, at } = await hashing
  expect((error as Error).name).toBe('AbortError')
  expect(at - abortedAt).toBeLessThan(1000)
}, 30_000)
