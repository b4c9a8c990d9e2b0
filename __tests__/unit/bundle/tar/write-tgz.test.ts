import * as fs from 'node:fs'
import * as path from 'node:path'
import { writeBundle, type Bundle } from '../../../../src/bundle/write-bundle.js'
import { walkSourceTree, type Entry } from '../../../../src/source/walk-tree.js'
import { describeTree, run, sha256 } from '../../../helpers/archive.js'
import { buildTree, randomBytes, TempDirs } from '../../../helpers/tree.js'
import { writeOptions } from '../../../helpers/write-options.js'

const temp = new TempDirs()
const LONG_DIR = `long/${'d'.repeat(60)}/${'e'.repeat(60)}`
const LONG_FILE = `${LONG_DIR}/${'f'.repeat(150 - LONG_DIR.length - 1)}`
const EXACT_100 = `n/${'x'.repeat(98)}`
const LONG_TARGET = `../${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(150 - LONG_DIR.length - 1)}`
let root: string
let out: string
let entries: Entry[]
let first: Bundle
let second: Bundle

beforeAll(async () => {
  root = buildTree(path.join(temp.make(), 'src'), {
    'appspec.yml': 'version: 0.0\nos: linux\n',
    'bin/run.sh': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
    'bin/link': { symlink: 'run.sh' },
    'empty.txt': '',
    'empty-dir': { dir: true },
    private: { dir: true, mode: 0o700 },
    'private/key.txt': { content: 'not really', mode: 0o600 },
    'data/random.bin': randomBytes(3 << 20, 3),
    'data/odd-size.txt': 'x'.repeat(513),
    [LONG_FILE]: 'a 150-character path',
    [EXACT_100]: 'a name of exactly 100 bytes',
    [`long/${'d'.repeat(60)}/far-link`]: { symlink: LONG_TARGET },
    'ünïcode/名前.txt': 'utf-8 names'
  })
  out = temp.make()
  entries = await walkSourceTree(root, [])
  first = await writeBundle(entries, 'tgz', writeOptions({ tempRoot: out }))
  second = await writeBundle(entries, 'tgz', writeOptions({ tempRoot: out }))
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

function listing(file: string): TarLine[] {
  return run('tar', ['-tvzf', file], { TZ: 'UTC' })
    .split('\n')
    .filter(Boolean)
    .map(line => {
      const m = /^(\S{10})\s+(\S+)\s+(\d+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)\s(.+?)(?: -> (.+))?$/.exec(line)
      if (!m) throw new Error(`unexpected tar line: ${line}`)
      return { perms: m[1]!, owner: m[2]!, size: Number(m[3]), time: m[4]!, name: m[5]!, target: m[6] }
    })
}

describe('tgz bundle', () => {
  test('the Bundle describes the file, and gzip accepts it', () => {
    expect(first.type).toBe('tgz')
    expect(first.file.endsWith('bundle.tgz')).toBe(true)
    expect(first.size).toBe(fs.statSync(first.file).size)
    expect(first.sha256).toBe(sha256(first.file))
    expect(first.entries).toBe(entries.length)
    expect(() => run('gzip', ['-t', first.file])).not.toThrow()
  })

  test('tar -tvzf lists every entry in order, directories with a slash', () => {
    expect(listing(first.file).map(l => l.name)).toEqual(entries.map(e => (e.kind === 'dir' ? `${e.path}/` : e.path)))
    expect(listing(first.file).map(l => l.name)).toContain(LONG_FILE)
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
  ])('%s is listed as %s, size %i', (name, perms, size, target) => {
    const line = listing(first.file).find(l => l.name === name)
    expect(line).toEqual({ perms, owner: 'root/root', size, time: '1980-01-01 00:00', name, target })
  })

  test('every entry carries the fixed 1980-01-01 time', () => {
    expect(new Set(listing(first.file).map(l => l.time))).toEqual(new Set(['1980-01-01 00:00']))
  })

  test('tar extracts the same tree: contents byte-identical, modes and links kept, long paths whole', () => {
    const extracted = path.join(temp.make(), 'x')
    fs.mkdirSync(extracted)
    run('tar', ['-xzf', first.file, '-C', extracted, '-p', '--no-same-owner'])
    expect(describeTree(extracted)).toEqual(describeTree(root))
    expect(fs.readFileSync(path.join(extracted, LONG_FILE), 'utf8')).toBe('a 150-character path')
    expect(fs.readFileSync(path.join(extracted, EXACT_100), 'utf8')).toBe('a name of exactly 100 bytes')
    expect(LONG_FILE).toHaveLength(150)
  })

  test('python tarfile reads the PAX path and link path', () => {
    const names = run('python3', [
      '-c',
      [
        'import sys, tarfile',
        't = tarfile.open(sys.argv[1])',
        'm = [x for x in t.getmembers() if x.name.endswith("far-link")][0]',
        'print(len([x for x in t.getmembers() if len(x.name) == 150]), len(m.linkname), t.extractfile(sys.argv[2]).read().decode())'
      ].join('\n'),
      first.file,
      LONG_FILE
    ])
    expect(names.trim()).toBe(`1 ${LONG_TARGET.length} a 150-character path`)
  })

  test('the same tree written twice gives the same bytes', () => {
    expect(second.file).not.toBe(first.file)
    expect(second.sha256).toBe(first.sha256)
    expect(fs.readFileSync(second.file).equals(fs.readFileSync(first.file))).toBe(true)
  })
})
