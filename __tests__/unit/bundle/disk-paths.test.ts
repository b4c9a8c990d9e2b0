/**
 * The walk names files by a path from the working directory when the source is inside it (as the
 * action runs in the workspace); the writers' threads open them by that path. The bundle is the
 * same, byte for byte, wherever the process runs.
 */
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { writeBundle } from '../../../src/bundle/write-bundle.js'
import type { BundleType } from '../../../src/core/domain.js'
import { EntryFeed } from '../../../src/source/entry-feed.js'
import { walkSourceTree } from '../../../src/source/walk-tree.js'
import { buildTree, inDir, randomBytes, TempDirs, type Node } from '../../helpers/tree.js'
import { writeOptions } from '../../helpers/write-options.js'

const temp = new TempDirs()
afterAll(() => temp.cleanup())

const spec: Record<string, Node> = { 'appspec.yml': 'version: 0.0\nos: linux\n', 'bin/run.sh': { content: '#!/bin/sh\n', mode: 0o755 } }
for (let i = 0; i < 300; i++) spec[`vendor/pkg${i % 7}/Class${i}.php`] = `<?php class C${i} {}\n`.repeat(1 + (i % 5))
spec['assets/big.bin'] = randomBytes(300_000, 3)
spec['assets/link.bin'] = { symlink: 'big.bin' }

/** The bundle's sha256 and the paths the walk gave, with the process in `cwd` while it walks and writes. */
async function bundleFrom(cwd: string, root: string, type: BundleType): Promise<{ sha256: string; diskPaths: string[] }> {
  return inDir(cwd, async () => {
    const feed = new EntryFeed()
    const writing = writeBundle(feed, type, writeOptions({ tempRoot: temp.make() }))
    writing.catch(() => undefined)
    await walkSourceTree(root, [], feed)
    const bundle = await writing
    const sha256 = crypto.createHash('sha256').update(fs.readFileSync(bundle.file)).digest('hex')
    return { sha256, diskPaths: feed.entries.map(e => e.diskPath) }
  })
}

describe.each(['zip', 'tgz'] as const)('%s', type => {
  test('walked from inside the source, from above it and from elsewhere: the same bytes', async () => {
    const root = fs.realpathSync(buildTree(path.join(temp.make(), 'app'), spec))
    const elsewhere = await bundleFrom(temp.make(), root, type)
    const inside = await bundleFrom(root, root, type)
    const above = await bundleFrom(path.dirname(root), root, type)
    // Each way was taken: absolute, bare names, and a path from the parent.
    expect([elsewhere, inside, above].map(b => b.diskPaths.find(p => p.endsWith('big.bin')))).toEqual([
      path.join(root, 'assets/big.bin'),
      'assets/big.bin',
      'app/assets/big.bin'
    ])
    expect(inside.sha256).toBe(elsewhere.sha256)
    expect(above.sha256).toBe(elsewhere.sha256)
  })
})
