/**
 * The parallel parts of the zip writer: worker threads deflating small files in batches and big
 * files in pieces, CRCs joined from pieces, and files that change while they are bundled.
 */
import AdmZip from 'adm-zip'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { writeBundle } from '../../../../src/bundle/write-bundle.js'
import { walkSourceTree, type Entry } from '../../../../src/source/walk-tree.js'
import { crc32Combine } from '../../../../src/bundle/crc32.js'
import { ActionError } from '../../../../src/core/errors.js'
import { writeZip } from '../../../../src/bundle/zip/write-zip.js'
import { run, sha256 } from '../../../helpers/archive.js'
import { buildTree, randomBytes, TempDirs, type Node } from '../../../helpers/tree.js'
import { writeOptions } from '../../../helpers/write-options.js'

const MB = 1 << 20
const temp = new TempDirs()
afterAll(() => temp.cleanup())

/** Text that deflates well but not trivially: no two files alike. */
function text(size: number, seed: number): Buffer {
  const words = ['const', 'return', 'value', 'deploy', 'bundle', 'instance', 'hook', '=>', '{', '}', ';\n', 'await']
  const out: string[] = []
  let x = seed
  let length = 0
  while (length < size) {
    x = (x * 1103515245 + 12345) >>> 0
    const word = x % 7 === 0 ? String(x % 9973) : words[x % words.length]!
    out.push(word, ' ')
    length += word.length + 1
  }
  return Buffer.from(out.join('').slice(0, size))
}

describe('crc32Combine', () => {
  test.each([
    [0, 0],
    [1, 0],
    [0, 1],
    [7, 1_000_003],
    [65_536, 65_536],
    [3 * MB + 17, 1]
  ])('the CRC of %i then %i bytes equals the CRC of both together', (a, b) => {
    const bytes = (n: number, seed: number): Buffer =>
      Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 8)) & 255))
    const first = bytes(a, 1)
    const second = bytes(b, 2)
    expect(crc32Combine(zlib.crc32(first), zlib.crc32(second), b)).toBe(zlib.crc32(Buffer.concat([first, second])))
  })

  test("folding many pieces in order gives the whole file's CRC", () => {
    const data = text(5 * MB + 1234, 3)
    let crc = 0
    for (let at = 0; at < data.length; at += MB) {
      const piece = data.subarray(at, at + MB)
      crc = at === 0 ? zlib.crc32(piece) : crc32Combine(crc, zlib.crc32(piece), piece.length)
    }
    expect(crc).toBe(zlib.crc32(data))
  })
})

describe('the same bytes whatever the number of workers', () => {
  let root: string
  let entries: Entry[]
  const spec: Record<string, Node> = {
    'appspec.yml': 'version: 0.0\nos: linux\n',
    // A big text file in pieces (each primed with the 32 KiB before it), not a multiple of 1 MiB.
    'data/big.json': text(3 * MB + 12_345, 1),
    // Exactly two pieces.
    'data/exact.log': text(2 * MB, 2),
    // Big and random: the sample says store.
    'data/blob.dat': randomBytes(2 * MB + 1, 3),
    // Big and already compressed: stored without a sample.
    'img/photo.jpg': text(3 * MB, 4),
    'empty.txt': '',
    'one-byte.txt': 'x',
    link: { symlink: 'data/big.json' }
  }
  for (let i = 0; i < 400; i++) {
    spec[`src/m${i % 7}/f${String(i).padStart(3, '0')}.${i % 5 === 0 ? 'bin' : 'js'}`] =
      i % 5 === 0 ? randomBytes(500 + i * 37, i + 10) : text(200 + ((i * 7919) % 60_000), i + 100)
  }

  beforeAll(async () => {
    root = buildTree(path.join(temp.make(), 'src'), spec)
    entries = await walkSourceTree(root, [])
  })

  test('1, 2 and 3 workers write identical archives that unzip reads back exactly', async () => {
    const out = temp.make()
    const files = [1, 2, 3].map(n => path.join(out, `w${n}.zip`))
    for (const [i, file] of files.entries()) await writeZip(entries, file, writeOptions({ workers: i + 1 }))
    const digests = files.map(sha256)
    expect(new Set(digests).size).toBe(1)

    expect(run('unzip', ['-tq', files[0]!])).toMatch(/No errors detected/)
    const zip = new AdmZip(files[0]!)
    for (const e of entries.filter(x => x.kind === 'file')) {
      expect({ path: e.path, same: zip.getEntry(e.path)!.getData().equals(fs.readFileSync(e.diskPath)) }).toEqual({
        path: e.path,
        same: true
      })
    }
    const method = (name: string): number => zip.getEntry(name)!.header.method
    expect([
      method('data/big.json'),
      method('data/exact.log'),
      method('data/blob.dat'),
      method('img/photo.jpg'),
      method('empty.txt')
    ]).toEqual([8, 8, 0, 0, 0])
    expect(zip.getEntry('data/big.json')!.header.compressedSize).toBeLessThan((3 * MB) / 2)
  }, 30_000)

  // Small files of one batch share a reset deflate engine, whose window still holds the file before:
  // the bytes depend on which files went before, so that must be the batch, not the worker's history.
  test('3,000 tiny files (the engine reused across a batch): 1, 2 and 3 workers write identical archives', async () => {
    const tiny: Record<string, Node> = {}
    for (let i = 0; i < 3000; i++) tiny[`pkg${i % 30}/f${String(i).padStart(4, '0')}.php`] = text(120 + ((i * 37) % 90), i + 1)
    const tree = await walkSourceTree(buildTree(path.join(temp.make(), 'tiny'), tiny), [])
    const out = temp.make()
    const files = [1, 2, 3].map(n => path.join(out, `w${n}.zip`))
    for (const [i, file] of files.entries()) await writeZip(tree, file, writeOptions({ workers: i + 1 }))
    expect(files.map(sha256)).toEqual(Array(3).fill(sha256(files[0]!)))
    expect(run('unzip', ['-tq', files[0]!])).toMatch(/No errors detected/)
  }, 60_000)

  test('the pieces of a big file form one deflate stream that zlib inflates whole', async () => {
    const file = path.join(temp.make(), 'one.zip')
    await writeZip(
      entries.filter(e => e.path === 'data/big.json'),
      file,
      writeOptions({ workers: 2 })
    )
    const bytes = fs.readFileSync(file)
    const nameLength = bytes.readUInt16LE(26)
    const compressed = bytes.readUInt32LE(18)
    const data = bytes.subarray(30 + nameLength + bytes.readUInt16LE(28), 30 + nameLength + bytes.readUInt16LE(28) + compressed)
    expect(zlib.inflateRawSync(data).equals(fs.readFileSync(path.join(root, 'data/big.json')))).toBe(true)
    // The CRC in the local header was patched in after the pieces were written.
    expect(bytes.readUInt32LE(14)).toBe(zlib.crc32(fs.readFileSync(path.join(root, 'data/big.json'))))
  })
})

describe.each(['zip', 'tgz'] as const)('%s: files that change while they are bundled', type => {
  async function bundleError(change: (root: string) => void, spec: Record<string, Node>): Promise<ActionError> {
    const root = buildTree(path.join(temp.make(), 'src'), spec)
    const entries = await walkSourceTree(root, [])
    change(root)
    const error: unknown = await writeBundle(entries, type, writeOptions({ tempRoot: temp.make() })).then(
      () => new Error('expected an error'),
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(ActionError)
    return error as ActionError
  }

  test('a small file that grew is refused, not cut to its old size', async () => {
    const error = await bundleError(root => fs.appendFileSync(path.join(root, 'log.txt'), 'more'), { 'log.txt': 'some lines\n' })
    expect(error.describe()).toMatch(
      /^Input 'source-dir': 'log\.txt' changed while it was being bundled \(it grew\)\. Fix: is a build step still writing 'log\.txt'/
    )
  })

  test('an empty file that grew is refused', async () => {
    const error = await bundleError(root => fs.appendFileSync(path.join(root, 'empty'), 'x'), { empty: '' })
    expect(error.message).toBe("'empty' changed while it was being bundled (it grew).")
  })

  test('a big file that shrank is refused', async () => {
    const error = await bundleError(root => fs.truncateSync(path.join(root, 'data.bin'), MB), { 'data.bin': randomBytes(3 * MB, 9) })
    expect(error.message).toBe("'data.bin' changed while it was being bundled (it is shorter than when it was listed).")
  })

  test('a file removed after it was listed is named', async () => {
    const error = await bundleError(root => fs.rmSync(path.join(root, 'gone.txt')), { 'gone.txt': 'x', 'kept.txt': 'y' })
    expect(error.message).toMatch(/^could not read 'gone\.txt' to bundle it \(ENOENT: no such file or directory/)
  })
})

describe('ZIP64 for a file past 4 GiB', () => {
  // A sparse file: 4 GiB + 1 MiB of zeros costs no disk and reads fast; deflated at level 1 by
  // the workers, it takes a few seconds. Its CRC is folded from a 1 MiB one instead of read back.
  test('its sizes go in a ZIP64 extra field; python and unzip read it and the entry after it', async () => {
    const dir = temp.make()
    const root = path.join(dir, 'src')
    const size = 4096 * MB + MB
    buildTree(root, { 'appspec.yml': 'version: 0.0\nos: linux\n', 'z-after.txt': 'after the big one' })
    fs.closeSync(fs.openSync(path.join(root, 'huge.img'), 'w'))
    fs.truncateSync(path.join(root, 'huge.img'), size)
    const entries = await walkSourceTree(root, [])
    const file = path.join(dir, 'huge.zip')
    await writeZip(entries, file, writeOptions({ level: 1, workers: 2 }))

    const oneMb = zlib.crc32(Buffer.alloc(MB))
    let crc = oneMb
    for (let i = 1; i < 4097; i++) crc = crc32Combine(crc, oneMb, MB)
    const py = run('python3', [
      '-c',
      [
        'import sys, zipfile',
        'z = zipfile.ZipFile(sys.argv[1])',
        'i = z.getinfo("huge.img")',
        'a = z.getinfo("z-after.txt")',
        'print(i.file_size, i.compress_type, i.CRC, i.extra[:2] == b"\\x01\\x00", a.extra[:2] == b"UT", z.read("z-after.txt").decode())'
      ].join('\n'),
      file
    ])
    expect(py.trim()).toBe(`${size} 8 ${crc} True True after the big one`)
    expect(run('unzip', ['-tq', file, 'z-after.txt', 'appspec.yml'])).toMatch(/No errors detected/)
    // The local header reserved the ZIP64 field before the size was known, and got it patched in.
    const bytes = fs.readFileSync(file)
    const local = bytes.indexOf(Buffer.from('huge.img')) - 30
    expect([bytes.readUInt32LE(local), bytes.readUInt32LE(local + 22), bytes.readUInt16LE(local + 30 + 8)]).toEqual([
      0x04034b50, 0xffffffff, 0x0001
    ])
    expect(Number(bytes.readBigUInt64LE(local + 30 + 8 + 4))).toBe(size)
    expect(bytes.length).toBeLessThan(64 * MB)
  }, 60_000)
})
