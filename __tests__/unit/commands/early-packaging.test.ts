/**
 * EarlyPackaging: the bundle written from the walk on, and the upload following it from whenever it
 * is attached. Whatever the moment, the upload is told every final byte and asked for the digest once,
 * and the bundle is the one the walk-then-write path gives.
 */
import * as fs from 'node:fs'
import { EarlyPackaging } from '../../../src/commands/early-packaging.js'
import { writeBundle, type BundleFollower } from '../../../src/bundle/write-bundle.js'
import { EntryFeed } from '../../../src/source/entry-feed.js'
import { walkSourceTree } from '../../../src/source/walk-tree.js'
import { FakeClock } from '../../helpers/clock.js'
import { buildTree, randomBytes, TempDirs } from '../../helpers/tree.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())
const MTIME = new Date('2024-03-09T23:41:07Z')

/** A follower that records what it is told, as the streamed upload would be. */
function recorder() {
  const told = { finals: [] as number[], digests: [] as number[], file: '' }
  const follow = (file: string): BundleFollower => {
    told.file = file
    return {
      onFinal: upTo => void told.finals.push(upTo),
      digest: async size => {
        told.digests.push(size)
        return undefined
      }
    }
  }
  return { told, hooks: { signal: new AbortController().signal, follow } }
}

async function start(tree: string) {
  const feed = new EntryFeed()
  const tempRoot = temp.make('cda-early-')
  const packaging = new EarlyPackaging(feed, {
    type: 'zip',
    mtime: MTIME,
    signal: new AbortController().signal,
    tempRoot,
    clock: new FakeClock()
  })
  await walkSourceTree(tree, [], feed)
  return { packaging, tempRoot }
}

test.each([
  ['attached right after the walk', false],
  ['attached once the writer has finished', true]
])('%s: the upload is told the last byte and asked for the digest once; the bundle is the usual one', async (_, late) => {
  const tree = buildTree(temp.make('cda-early-src-'), { 'appspec.yml': 'version: 0.0\nos: linux\n', 'big.bin': randomBytes(6 << 20, 3) })
  const { packaging } = await start(tree)
  if (late) await packaging.bundle
  const { told, hooks } = recorder()
  const bundle = await packaging.finish(hooks, () => undefined)
  expect(told.file).toBe(bundle.file)
  expect(Math.max(...told.finals)).toBe(bundle.size)
  expect(told.digests).toEqual([bundle.size])
  const usual = await writeBundle(await walkSourceTree(tree, []), 'zip', {
    mtime: MTIME,
    signal: new AbortController().signal,
    tempRoot: temp.make()
  })
  expect(bundle.sha256).toBe(usual.sha256)
})

test('cancel before the bundle is handed over: the writer stops, or its finished bundle is removed; nothing is left', async () => {
  const tree = buildTree(temp.make('cda-early-src-'), { 'appspec.yml': 'version: 0.0\nos: linux\n', 'big.bin': randomBytes(24 << 20, 4) })
  for (const finished of [false, true]) {
    const { packaging, tempRoot } = await start(tree)
    if (finished) await packaging.bundle
    await packaging.cancel(new Error('a check failed'))
    expect(fs.readdirSync(tempRoot)).toEqual([])
  }
})
