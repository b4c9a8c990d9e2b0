/**
 * The writers' onFinal hook, which an upload while packaging relies on: every byte reported final
 * is on disk and never changes afterwards, even where the zip writer patches a header after the
 * data or rewrites an entry stored instead of deflated; and the report grows as the file does.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { BundleType } from '../../../src/core/domain.js'
import { writeBundle } from '../../../src/bundle/write-bundle.js'
import { walkSourceTree } from '../../../src/source/walk-tree.js'
import { buildTree, randomBytes, TempDirs } from '../../helpers/tree.js'
import { writeOptions } from '../../helpers/write-options.js'

const MB = 1 << 20
const temp = new TempDirs()
afterAll(() => temp.cleanup())

/** Text that deflates well. */
function text(size: number): Buffer {
  return Buffer.from('const value = await deploy(bundle, instance) // hook\n'.repeat(Math.ceil(size / 52)).slice(0, size))
}

/** Writes the tree, taking a hash of the file's first `upTo` bytes at each onFinal; returns them and the finished file. */
async function writeWatched(type: BundleType): Promise<{ seen: Array<{ upTo: number; sha: string }>; file: Buffer }> {
  const root = buildTree(temp.make('cda-final-'), {
    'appspec.yml': 'version: 0.0\nos: linux\n',
    // Sampled as compressible, then not worth deflating as a whole: written deflated, rewound, written again stored.
    'assets/misjudged.bin': Buffer.concat([text(256 * 1024), randomBytes(12 * MB, 3)]),
    // Patched after its data: the local header's CRC and sizes.
    'assets/text.txt': text(6 * MB),
    ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`src/f${i}.js`, text(2000 + i)]))
  })
  const entries = await walkSourceTree(root, [])
  const seen: Array<{ upTo: number; sha: string }> = []
  let target = ''
  const bundle = await writeBundle(entries, type, {
    ...writeOptions(),
    tempRoot: temp.make('cda-final-out-'),
    follow: file => {
      target = file
      return {
        onFinal: upTo => {
          const fd = fs.openSync(target, 'r')
          const bytes = Buffer.alloc(upTo)
          fs.readSync(fd, bytes, 0, upTo, 0)
          fs.closeSync(fd)
          seen.push({ upTo, sha: createHash('sha256').update(bytes).digest('hex') })
        },
        digest: async () => undefined
      }
    }
  })
  expect(path.basename(target)).toBe(`bundle.${type}`)
  return { seen, file: fs.readFileSync(bundle.file) }
}

describe.each(['zip', 'tgz', 'tar'] as const)('%s: bytes reported final', type => {
  test('never change afterwards, and are reported as the file grows, up to its end', async () => {
    const { seen, file } = await writeWatched(type)
    for (const { upTo, sha } of seen) {
      expect({ upTo, sha: createHash('sha256').update(file.subarray(0, upTo)).digest('hex') }).toEqual({ upTo, sha })
    }
    const reported = seen.map(s => s.upTo)
    expect(reported).toEqual([...reported].sort((a, b) => a - b))
    expect(reported.at(-1)).toBe(file.length)
    // Reported along the way, not only at the end.
    expect(reported.filter(upTo => upTo < file.length / 2).length).toBeGreaterThan(0)
  })
})
