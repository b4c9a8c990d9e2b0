/**
 * What the tar headers hold where no small test tree reaches (a file of 8 GiB and more), and the
 * CRC join the gzip trailer relies on.
 */
import * as zlib from 'node:zlib'
import { crc32Combine } from '../../../../src/bundle/crc32.js'
import { BLOCK, headLength, HeaderTemplate, writeHead } from '../../../../src/bundle/tar/header.js'
import type { Entry } from '../../../../src/source/walk-tree.js'

const MTIME = Date.UTC(2024, 2, 9, 23, 41, 7) / 1000

const field = (block: Buffer, at: number, length: number): string =>
  block
    .subarray(at, at + length)
    .toString('latin1')
    .replace(/\0+$/, '')

/** A header's checksum as tar checks it: every byte summed, the checksum field counted as spaces. */
function checksumOk(block: Buffer): boolean {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!
  return parseInt(field(block, 148, 7), 8) === sum
}

function head(entry: Entry): Buffer {
  const out = Buffer.alloc(headLength(entry))
  writeHead(new HeaderTemplate(MTIME), entry, out, 0)
  return out
}

describe('tar headers', () => {
  test('a plain file: one ustar block, octal fields, the time in UTC seconds, a valid checksum', () => {
    const block = head({ path: 'bin/run.sh', kind: 'file', mode: 0o100755, size: 19, diskPath: '/x' })
    expect(block.length).toBe(BLOCK)
    expect(field(block, 0, 100)).toBe('bin/run.sh')
    expect(field(block, 100, 8)).toBe('0000755')
    expect(field(block, 124, 12)).toBe('00000000023')
    expect(parseInt(field(block, 136, 12), 8)).toBe(MTIME)
    expect(field(block, 156, 1)).toBe('0')
    expect(field(block, 257, 8)).toBe('ustar\u000000')
    expect(checksumOk(block)).toBe(true)
  })

  test.each([2 ** 31 + 3, 2 ** 32 - 1, 2 ** 32, 5 * 2 ** 30 + 7, 2 ** 33 - 1])(
    'a size of %d (around the 32-bit edge, under 8 GiB) goes in the ustar size field, in octal',
    size => {
      const block = head({ path: 'big.bin', kind: 'file', mode: 0o644, size, diskPath: '/x' })
      expect(block.length).toBe(BLOCK)
      expect(field(block, 124, 12)).toBe(size.toString(8).padStart(11, '0'))
      expect(checksumOk(block)).toBe(true)
    }
  )

  test('a file of 8 GiB and more: a PAX size record, the ustar size field left at zero', () => {
    const size = 2 ** 33 + 5
    const bytes = head({ path: 'huge.bin', kind: 'file', mode: 0o644, size, diskPath: '/x' })
    const pax = bytes.subarray(0, BLOCK)
    expect(field(pax, 156, 1)).toBe('x')
    expect(checksumOk(pax)).toBe(true)
    const records = bytes.subarray(BLOCK, BLOCK + parseInt(field(pax, 124, 12), 8)).toString()
    expect(records).toBe(`${' size=8589934597\n'.length + 2} size=8589934597\n`)
    const ustar = bytes.subarray(bytes.length - BLOCK)
    expect(field(ustar, 124, 12)).toBe('00000000000')
    expect(checksumOk(ustar)).toBe(true)
  })

  test('a name of multi-byte characters past 100 bytes but not 100 characters: a PAX path record', () => {
    const name = `${'名'.repeat(40)}.txt` // 124 bytes in UTF-8
    const bytes = head({ path: name, kind: 'file', mode: 0o644, size: 1, diskPath: '/x' })
    expect(bytes.subarray(BLOCK, 2 * BLOCK).toString()).toContain(` path=${name}\n`)
    expect(checksumOk(bytes.subarray(bytes.length - BLOCK))).toBe(true)
  })

  test('a name of exactly 100 bytes fits the ustar field: no PAX record', () => {
    const bytes = head({ path: 'x'.repeat(100), kind: 'file', mode: 0o644, size: 0, diskPath: '/x' })
    expect(bytes.length).toBe(BLOCK)
    expect(field(bytes, 0, 100)).toBe('x'.repeat(100))
  })
})

describe('crc32Combine', () => {
  test.each([
    [0, 0],
    [1, 0],
    [0, 1],
    [7, 1_000_003],
    [65_536, 65_536],
    [(4 << 20) + 17, 1]
  ])('the CRC of %i then %i bytes equals the CRC of both together', (a, b) => {
    const bytes = (n: number, seed: number): Buffer =>
      Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 8)) & 255))
    const first = bytes(a, 1)
    const second = bytes(b, 2)
    expect(crc32Combine(zlib.crc32(first), zlib.crc32(second), b)).toBe(zlib.crc32(Buffer.concat([first, second])))
  })
})
