/**
 * The tgz and tar bundles read back by independent readers: GNU tar (as the agent runs it on
 * Linux, `tar -zxpsf`), gzip, Python's tarfile, and a reader that stops after the first gzip
 * member (as Ruby's Zlib::GzipReader does, which the agent uses on Windows).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { writeTar } from '../../../../src/bundle/tar/write-tar.js'
import { writeTgz } from '../../../../src/bundle/tar/write-tgz.js'
import { walkSourceTree, type Entry } from '../../../../src/source/walk-tree.js'
import { describeTree, run } from '../../../helpers/archive.js'
import { buildTree, randomBytes, TempDirs } from '../../../helpers/tree.js'
import { COMMIT_TIME, writeOptions } from '../../../helpers/write-options.js'

const MB = 1 << 20
const temp = new TempDirs()
const LONG_DIR = `long/${'d'.repeat(60)}/${'e'.repeat(60)}`
const LONG_FILE = `${LONG_DIR}/${'f'.repeat(150 - LONG_DIR.length - 1)}`
const EXACT_100 = `n/${'x'.repeat(98)}`
const LONG_TARGET = `../${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(150 - LONG_DIR.length - 1)}`
const COMMIT_SECONDS = COMMIT_TIME.getTime() / 1000
let root: string
let entries: Entry[]
let tgz: string
let tar: string
const progress: number[] = []

/** Text that compresses, no two lines alike. */
const text = (size: number, seed: number): Buffer => {
  const lines: string[] = []
  for (let i = 0, length = 0; length < size; i++) {
    const line = `${seed}:${i} deploy bundle ${(i * 7919) % 1013} instance hook\n`
    lines.push(line)
    length += line.length
  }
  return Buffer.from(lines.join('').slice(0, size))
}

beforeAll(async () => {
  root = buildTree(path.join(temp.make(), 'src'), {
    'appspec.yml': 'version: 0.0\nos: linux\n',
    'bin/run.sh': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
    'bin/link': { symlink: 'run.sh' },
    'empty.txt': '',
    'empty-dir': { dir: true },
    private: { dir: true, mode: 0o700 },
    'private/key.txt': { content: 'not really', mode: 0o600 },
    // Together over 4 MiB pieces: entries cut by piece boundaries, several pieces joined.
    'data/random.bin': randomBytes(9 * MB + 3, 3),
    'data/log.txt': text(5 * MB, 1),
    'data/odd-size.txt': 'x'.repeat(513),
    [LONG_FILE]: 'a 150-character path',
    [EXACT_100]: 'a name of exactly 100 bytes',
    [`long/${'d'.repeat(60)}/far-link`]: { symlink: LONG_TARGET },
    'ünïcode/名前.txt': 'utf-8 names'
  })
  entries = await walkSourceTree(root, [])
  const out = temp.make()
  tgz = path.join(out, 'bundle.tgz')
  tar = path.join(out, 'bundle.tar')
  await writeTgz(entries, tgz, writeOptions({ onProgress: (read: number) => progress.push(read) }))
  await writeTar(entries, tar, writeOptions())
})
afterAll(() => temp.cleanup())

interface TarLine {
  perms: string
  owner: string
  size: number
  time: string
  name: string
  target: string | undefined
}

function listing(file: string, TZ = 'UTC'): TarLine[] {
  return run('tar', ['-tvf', file], { TZ })
    .split('\n')
    .filter(Boolean)
    .map(line => {
      const m = /^(\S{10})\s+(\S+)\s+(\d+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)\s(.+?)(?: -> (.+))?$/.exec(line)
      if (!m) throw new Error(`unexpected tar line: ${line}`)
      return { perms: m[1]!, owner: m[2]!, size: Number(m[3]), time: m[4]!, name: m[5]!, target: m[6] }
    })
}

describe('tgz bundle', () => {
  test('gzip -t accepts it, and the tar inside is the plain tar bundle byte for byte', () => {
    expect(() => run('gzip', ['-t', tgz])).not.toThrow()
    expect(gunzipSync(fs.readFileSync(tgz)).equals(fs.readFileSync(tar))).toBe(true)
    // Several pieces: the joins between them are exercised.
    expect(fs.statSync(tar).size).toBeGreaterThan(12 * MB)
  })

  test('one gzip member: a reader that stops after the first member (Ruby Zlib::GzipReader) gets the whole tar', () => {
    const out = run('python3', [
      '-c',
      [
        'import sys, zlib',
        'data = open(sys.argv[1], "rb").read()',
        'd = zlib.decompressobj(31)',
        'tar = d.decompress(data) + d.flush()',
        'print(d.eof, len(d.unused_data), len(tar))'
      ].join('\n'),
      tgz
    ])
    expect(out.trim()).toBe(`True 0 ${fs.statSync(tar).size}`)
  })

  test('data that does not compress is copied in stored blocks of 64 KiB; text is deflated', () => {
    const random = fs.readFileSync(path.join(root, 'data/random.bin'))
    const gz = fs.readFileSync(tgz)
    // A full stored block: not final, type 00, LEN 65535, NLEN 0, then the bytes themselves.
    const header = Buffer.from([0x00, 0xff, 0xff, 0x00, 0x00])
    const at = gz.indexOf(header)
    expect(at).toBeGreaterThan(0)
    expect(random.indexOf(gz.subarray(at + 5, at + 5 + 65535))).toBeGreaterThanOrEqual(0)
    // The 5 MiB of text went in deflated: the whole is much smaller than its parts.
    expect(gz.length).toBeLessThan(random.length + 2.5 * MB)
  })

  test('tar -tvf lists every entry in order, directories with a slash', () => {
    const names = entries.map(e => (e.kind === 'dir' ? `${e.path}/` : e.path))
    expect(listing(tgz).map(l => l.name)).toEqual(names)
    expect(listing(tar).map(l => l.name)).toEqual(names)
    expect(names).toContain(LONG_FILE)
  })

  test.each([
    ['bin/run.sh', '-rwxr-xr-x', 19, undefined],
    ['appspec.yml', '-rw-r--r--', 23, undefined],
    ['private/key.txt', '-rw-------', 10, undefined],
    ['private/', 'drwx------', 0, undefined],
    ['empty-dir/', 'drwxr-xr-x', 0, undefined],
    ['empty.txt', '-rw-r--r--', 0, undefined],
    ['bin/link', 'lrwxrwxrwx', 0, 'run.sh'],
    [`long/${'d'.repeat(60)}/far-link`, 'lrwxrwxrwx', 0, LONG_TARGET]
  ])('%s is listed as %s, size %i, at the commit time', (name, perms, size, target) => {
    const line = listing(tgz).find(l => l.name === name)
    expect(line).toEqual({ perms, owner: 'root/root', size, time: '2024-03-09 23:41', name, target })
  })

  test('every entry carries the commit time, in UTC: listed in another time zone, it is that zone’s clock time', () => {
    expect(new Set(listing(tgz).map(l => l.time))).toEqual(new Set(['2024-03-09 23:41']))
    // UTC+14: the same instant is already the next day there.
    expect(new Set(listing(tgz, 'Pacific/Kiritimati').map(l => l.time))).toEqual(new Set(['2024-03-10 13:41']))
  })

  test('tar -zxpsf (as the agent runs it) in another time zone: the tree, byte-identical, every mtime the commit time', () => {
    const extracted = path.join(temp.make(), 'x')
    fs.mkdirSync(extracted)
    run('tar', ['-zxpsf', tgz, '-C', extracted, '--no-same-owner'], { TZ: 'America/Los_Angeles' })
    expect(describeTree(extracted)).toEqual(describeTree(root))
    expect(fs.readFileSync(path.join(extracted, LONG_FILE), 'utf8')).toBe('a 150-character path')
    expect(fs.readFileSync(path.join(extracted, EXACT_100), 'utf8')).toBe('a name of exactly 100 bytes')
    for (const entry of entries) {
      const mtime = fs.lstatSync(path.join(extracted, entry.path)).mtime.getTime() / 1000
      expect([entry.path, mtime]).toEqual([entry.path, COMMIT_SECONDS])
    }
  })

  test('python tarfile reads the PAX path and link path, and the commit time', () => {
    const out = run('python3', [
      '-c',
      [
        'import sys, tarfile',
        't = tarfile.open(sys.argv[1])',
        'm = [x for x in t.getmembers() if x.name.endswith("far-link")][0]',
        'print(len([x for x in t.getmembers() if len(x.name) == 150]), len(m.linkname), t.extractfile(sys.argv[2]).read().decode(),',
        '      set(x.mtime for x in t.getmembers()))'
      ].join('\n'),
      tgz,
      LONG_FILE
    ])
    expect(out.trim()).toBe(`1 ${LONG_TARGET.length} a 150-character path {${COMMIT_SECONDS}}`)
  })

  test('progress rises with every piece to the bytes of all files', () => {
    const total = entries.reduce((n, e) => n + (e.kind === 'file' ? e.size : 0), 0)
    expect(progress.length).toBeGreaterThan(2)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    expect(progress.at(-1)).toBe(total)
  })
})

describe('reproducible', () => {
  test('the same tree gives the same bytes, whatever the number of workers', async () => {
    const out = temp.make()
    const sizes = new Set<string>()
    for (const workers of [1, 2, 3]) {
      const file = path.join(out, `w${workers}.tgz`)
      await writeTgz(entries, file, writeOptions({ workers }))
      sizes.add(fs.readFileSync(file).toString('base64'))
    }
    sizes.add(fs.readFileSync(tgz).toString('base64'))
    expect(sizes.size).toBe(1)
  })

  test('another commit time gives another archive, stamped with that time', async () => {
    const file = path.join(temp.make(), 'later.tar')
    await writeTar(entries, file, { ...writeOptions(), mtime: new Date('2025-01-01T00:00:00Z') })
    expect(fs.readFileSync(file).equals(fs.readFileSync(tar))).toBe(false)
    expect(new Set(listing(file).map(l => l.time))).toEqual(new Set(['2025-01-01 00:00']))
  })

  // Tar is in 512-byte blocks and pieces in 4 MiB, so only a head longer than a block (PAX
  // records and the header) can be cut by a piece's end or by the start of the 32 KiB before it.
  test.each([
    ['the end of a piece', 4 * MB - 512],
    ['the start of the window before a piece', 4 * MB - 32 * 1024 - 512]
  ])('a long-named entry whose head is cut by %s is whole in the archive', async (_where, headAt) => {
    const long = `b/${'x'.repeat(150)}.txt`
    // a.bin's header, its data (a whole number of blocks), then b/'s header, then the long name's head.
    const dir = buildTree(path.join(temp.make(), 'src'), { 'a.bin': randomBytes(headAt - 1024, 5), [long]: 'the long one' })
    const cut = await walkSourceTree(dir, [])
    const out = temp.make()
    await writeTgz(cut, path.join(out, 'cut.tgz'), writeOptions())
    await writeTar(cut, path.join(out, 'cut.tar'), writeOptions())
    expect(gunzipSync(fs.readFileSync(path.join(out, 'cut.tgz'))).equals(fs.readFileSync(path.join(out, 'cut.tar')))).toBe(true)
    const x = path.join(out, 'x')
    fs.mkdirSync(x)
    run('tar', ['-xzf', path.join(out, 'cut.tgz'), '-C', x])
    expect(describeTree(x)).toEqual(describeTree(dir))
    expect(fs.readFileSync(path.join(out, 'cut.tar')).indexOf(Buffer.from(`path=${long}`))).toBe(headAt + 512 + 4)
  })

  test('an empty tree is an empty archive that tar and gzip accept', async () => {
    const file = path.join(temp.make(), 'empty.tgz')
    await writeTgz([], file, writeOptions())
    expect(() => run('gzip', ['-t', file])).not.toThrow()
    expect(run('tar', ['-tzf', file])).toBe('')
    expect(gunzipSync(fs.readFileSync(file)).equals(Buffer.alloc(1024))).toBe(true)
  })
})
