import AdmZip from 'adm-zip'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { writeBundle, type Bundle } from '../../../../src/bundle/write-bundle.js'
import { walkSourceTree, type Entry } from '../../../../src/source/walk-tree.js'
import { describeTree, run, sha256, zipinfo } from '../../../helpers/archive.js'
import { buildTree, randomBytes, TempDirs } from '../../../helpers/tree.js'
import { COMMIT_TIME, writeOptions } from '../../../helpers/write-options.js'

const MB = 1 << 20
const temp = new TempDirs()
let root: string
let out: string
let entries: Entry[]
let first: Bundle
let second: Bundle

const repetitive = (size: number): Buffer => Buffer.from('GET /health 200 OK in 3ms\n'.repeat(Math.ceil(size / 26)).slice(0, size))

beforeAll(async () => {
  root = buildTree(path.join(temp.make(), 'src'), {
    'appspec.yml': 'version: 0.0\nos: linux\n',
    'bin/run.sh': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
    'bin/link': { symlink: 'run.sh' },
    'bin/up': { symlink: '../appspec.yml' },
    'empty.txt': '',
    'empty-dir': { dir: true },
    private: { dir: true, mode: 0o700 },
    'private/key.txt': { content: 'not really', mode: 0o600 },
    'data/random-6mb.bin': randomBytes(6 * MB, 6),
    'data/repetitive-9mb.txt': repetitive(9 * MB),
    'data/mixed-20mb.bin': Buffer.concat([Buffer.alloc(256 << 10), randomBytes(20 * MB, 20)]),
    'img/logo.png': repetitive(200 << 10),
    'small-random.bin': randomBytes(10 << 10, 10),
    'src/index.js': repetitive(64 << 10),
    'ünïcode/名前.txt': 'utf-8 names'
  })
  out = temp.make()
  entries = await walkSourceTree(root, [])
  first = await writeBundle(entries, 'zip', writeOptions({ tempRoot: out }))
  second = await writeBundle(entries, 'zip', writeOptions({ tempRoot: out }))
})
afterAll(() => temp.cleanup())

const zipName = (e: Entry): string => (e.kind === 'dir' ? `${e.path}/` : e.path)
const entryOf = (name: string): AdmZip.IZipEntry => {
  const entry = new AdmZip(first.file).getEntry(name)
  if (!entry) throw new Error(`no entry ${name} in the bundle`)
  return entry
}

describe('zip bundle: what is inside', () => {
  test('the Bundle describes the file', () => {
    expect(first.type).toBe('zip')
    expect(path.dirname(path.dirname(first.file))).toBe(out)
    expect(first.size).toBe(fs.statSync(first.file).size)
    expect(first.sha256).toBe(sha256(first.file))
    expect(first.entries).toBe(entries.length)
  })

  test('entry names are in sorted order, directories with a trailing slash (adm-zip and unzip -Z agree)', () => {
    const expected = entries.map(zipName)
    expect(expected).toContain('empty-dir/')
    expect(expected).toContain('ünïcode/名前.txt')
    expect(new AdmZip(first.file).getEntries().map(e => e.entryName)).toEqual(expected)
    expect(zipinfo(first.file).map(l => l.name)).toEqual(expected)
    expect(entries.map(e => e.path)).toEqual([...entries.map(e => e.path)].sort())
  })

  test.each([
    ['bin/run.sh', '-rwxr-xr-x', 0o100755],
    ['appspec.yml', '-rw-r--r--', 0o100644],
    ['private/key.txt', '-rw-------', 0o100600],
    ['bin/link', 'lrwxrwxrwx', 0o120777],
    ['empty-dir/', 'drwxr-xr-x', 0o040755],
    ['private/', 'drwx------', 0o040700]
  ])('%s is %s in the external attributes', (name, perms, mode) => {
    expect(entryOf(name).header.attr >>> 16).toBe(mode)
    expect(zipinfo(first.file).find(l => l.name === name)?.perms).toBe(perms)
  })

  test('a symlink entry holds its target as content', () => {
    expect(entryOf('bin/link').getData().toString('utf8')).toBe('run.sh')
    expect(entryOf('bin/up').getData().toString('utf8')).toBe('../appspec.yml')
  })

  test('every entry carries the commit time: the UT extra field to the second, DOS time in UTC rounded up to 2 s', () => {
    const seen = run('python3', [
      '-c',
      [
        'import sys, zipfile, struct',
        'out = set()',
        'for z in zipfile.ZipFile(sys.argv[1]).infolist():',
        '    at = z.extra.find(b"UT\\x05\\x00\\x01")',
        '    out.add((z.date_time, struct.unpack("<I", z.extra[at + 5:at + 9])[0] if at >= 0 else None))',
        'print(sorted(out))'
      ].join('\n'),
      first.file
    ])
    expect(seen.trim()).toBe(`[((2024, 3, 9, 23, 41, 8), ${COMMIT_TIME.getTime() / 1000})]`)
    const utc = run('unzip', ['-Z', '-T', first.file], { TZ: 'UTC' })
    expect(new Set([...utc.matchAll(/ (\d{8}\.\d{6}) /g)].map(m => m[1]))).toEqual(new Set(['20240309.234107']))
  })

  test.each(['UTC', 'Asia/Kolkata', 'America/Los_Angeles'])(
    'unzip in TZ=%s restores the same epoch mtime on every file and directory',
    tz => {
      const extracted = path.join(temp.make(), 'x')
      run('unzip', ['-q', first.file, '-d', extracted], { TZ: tz })
      const wrong = entries
        .filter(e => e.kind !== 'symlink')
        .map(e => ({ path: e.path, mtime: fs.statSync(path.join(extracted, e.path)).mtimeMs }))
        .filter(e => e.mtime !== COMMIT_TIME.getTime())
      expect(wrong).toEqual([])
    }
  )

  test('every file is byte-identical to the one on disk', () => {
    const zip = new AdmZip(first.file)
    const files = entries.filter(e => e.kind === 'file')
    expect(files.length).toBeGreaterThan(8)
    for (const e of files) {
      const data = zip.getEntry(e.path)?.getData()
      expect({ path: e.path, equal: data !== undefined && data.equals(fs.readFileSync(e.diskPath)) }).toEqual({ path: e.path, equal: true })
    }
  })

  test('unzip -t accepts it and unzip restores the same tree (modes, links, empty file and directory)', () => {
    expect(run('unzip', ['-t', first.file])).toMatch(/No errors detected in compressed data/)
    const extracted = path.join(temp.make(), 'x')
    run('unzip', ['-q', first.file, '-d', extracted])
    expect(describeTree(extracted)).toEqual(describeTree(root))
    expect(fs.readFileSync(path.join(extracted, 'empty.txt'))).toHaveLength(0)
    expect(fs.readdirSync(path.join(extracted, 'empty-dir'))).toEqual([])
  })
})

describe('zip bundle: compression choices', () => {
  test.each([
    ['data/random-6mb.bin', 0, 'streamed random data is stored'],
    ['data/mixed-20mb.bin', 0, 'a file whose compressible start misleads the sample is redone, stored'],
    ['small-random.bin', 0, 'small random data is stored'],
    ['img/logo.png', 0, 'a .png is stored even when it would compress'],
    ['empty.txt', 0, 'an empty file is stored'],
    ['data/repetitive-9mb.txt', 8, 'streamed repetitive text is deflated'],
    ['src/index.js', 8, 'small repetitive text is deflated']
  ])('%s: method %i (%s)', (name, method) => {
    const entry = entryOf(name)
    expect(entry.header.method).toBe(method)
    expect(zipinfo(first.file).find(l => l.name === name)?.method).toBe(method === 0 ? 'stor' : 'defN')
    if (method === 0) expect(entry.header.compressedSize).toBe(entry.header.size)
  })

  test('the 9 MB repetitive file is much smaller deflated', () => {
    const header = entryOf('data/repetitive-9mb.txt').header
    expect(header.size).toBe(9 * MB)
    expect(header.compressedSize).toBeLessThan(header.size / 20)
  })
})

describe('zip bundle: determinism', () => {
  test('the same tree written twice gives the same bytes and sha256', () => {
    expect(second.file).not.toBe(first.file)
    expect(second.sha256).toBe(first.sha256)
    expect(fs.readFileSync(second.file).equals(fs.readFileSync(first.file))).toBe(true)
  })

  test('another commit time gives different bytes, only in the time fields', async () => {
    const later = await writeBundle(entries, 'zip', { ...writeOptions({ tempRoot: out }), mtime: new Date('2025-01-01T00:00:00Z') })
    expect(later.sha256).not.toBe(first.sha256)
    expect(later.size).toBe(first.size)
  })

  test('a different mode gives different bytes', async () => {
    const copy = entries.map(e => (e.path === 'appspec.yml' ? { ...e, mode: 0o755 } : e))
    const other = await writeBundle(copy, 'zip', writeOptions({ tempRoot: out }))
    expect(other.sha256).not.toBe(first.sha256)
  })
})

describe('zip bundle: ZIP64', () => {
  test('70,000 tiny files give a valid ZIP64 archive that unzip and python read in full', async () => {
    const big = path.join(temp.make('cda-unit-', { fast: true }), 'many')
    for (let d = 0; d < 70; d++) {
      const dir = path.join(big, `d${String(d).padStart(2, '0')}`)
      fs.mkdirSync(dir, { recursive: true })
      for (let f = 0; f < 1000; f++) fs.writeFileSync(path.join(dir, `f${String(f).padStart(4, '0')}`), `${d}:${f}`)
    }
    const many = await walkSourceTree(big, [])
    expect(many).toHaveLength(70_070)
    const bundle = await writeBundle(many, 'zip', writeOptions({ tempRoot: path.dirname(big) }))

    const bytes = fs.readFileSync(bundle.file)
    const eocd = bytes.subarray(bytes.length - 22)
    expect(eocd.readUInt32LE(0)).toBe(0x06054b50)
    expect(eocd.readUInt16LE(10)).toBe(0xffff) // the real count lives in the ZIP64 record
    const zip64 = bytes.subarray(bytes.length - 22 - 20 - 56)
    expect(zip64.readUInt32LE(0)).toBe(0x06064b50)
    expect(zip64.readBigUInt64LE(32)).toBe(70_070n)

    expect(run('unzip', ['-tq', bundle.file])).toMatch(/No errors detected in compressed data/)
    const py = run('python3', [
      '-c',
      [
        'import sys, zipfile',
        'z = zipfile.ZipFile(sys.argv[1])',
        'infos = z.infolist()',
        'print(len(infos), z.testzip(), infos[1].filename, z.read("d69/f0999").decode())'
      ].join('\n'),
      bundle.file
    ])
    expect(py.trim()).toBe('70070 None d00/f0000 69:999')
  }, 60_000)
})
