import * as fs from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import * as zlib from 'node:zlib'
import type { Entry } from '../../source/walk-tree.js'
import { changedWhileBundling, unreadable } from '../source-errors.js'
import type { WriteOptions } from '../write-options.js'

const BLOCK = 512
const CHUNK = 1 << 20
/** 1980-01-01, the same fixed time the zip bundles carry. */
const MTIME = 315532800

/**
 * Writes `entries` as a gzip-compressed POSIX tar (ustar, with PAX headers for long names and
 * links), streamed: one file's data is never held whole. Deterministic for a given tree.
 */
export async function writeTgz(entries: readonly Entry[], file: string, options: WriteOptions & { level?: number }): Promise<number> {
  await pipeline(Readable.from(tarStream(entries)), zlib.createGzip({ level: options.level ?? 6 }), fs.createWriteStream(file))
  return (await fs.promises.stat(file)).size
}

async function* tarStream(entries: readonly Entry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const name = entry.kind === 'dir' ? `${entry.path}/` : entry.path
    const linkTarget = entry.kind === 'symlink' ? (entry.linkTarget ?? '') : ''
    const size = entry.kind === 'file' ? entry.size : 0
    const pax: Record<string, string> = {}
    if (Buffer.byteLength(name) > 100) pax['path'] = name
    if (Buffer.byteLength(linkTarget) > 100) pax['linkpath'] = linkTarget
    if (size > 0o77777777777) pax['size'] = String(size)
    if (Object.keys(pax).length > 0) {
      const body = paxBody(pax)
      yield header({ name: 'PaxHeader', mode: 0o644, size: body.length, type: 'x', linkTarget: '' })
      yield* padded(body)
    }
    const type = entry.kind === 'dir' ? '5' : entry.kind === 'symlink' ? '2' : '0'
    yield header({ name, mode: entry.mode, size, type, linkTarget })
    if (entry.kind === 'file') yield* fileData(entry, size)
  }
  yield Buffer.alloc(BLOCK * 2)
}

/**
 * Exactly `size` bytes (the size in the header), then padding to a whole block. A file that is
 * no longer that size is refused: the archive would not be the tree that was checked.
 */
async function* fileData(entry: Entry, size: number): AsyncGenerator<Buffer> {
  if (size > 0) {
    let handle: fs.promises.FileHandle
    try {
      handle = await fs.promises.open(entry.absolute, 'r')
    } catch (error) {
      throw unreadable(entry.path, error)
    }
    try {
      for (let sent = 0; sent < size;) {
        // A fresh buffer each time: gzip may still hold the previous one.
        const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size - sent))
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, sent)
        if (bytesRead === 0) throw changedWhileBundling(entry.path, 'it is shorter than when it was listed')
        sent += bytesRead
        yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead)
      }
      if ((await handle.read(Buffer.alloc(1), 0, 1, size)).bytesRead > 0) throw changedWhileBundling(entry.path, 'it grew')
    } finally {
      await handle.close()
    }
  } else {
    let now: fs.Stats
    try {
      now = fs.statSync(entry.absolute)
    } catch (error) {
      throw unreadable(entry.path, error)
    }
    if (now.size !== 0) throw changedWhileBundling(entry.path, 'it grew')
  }
  const rest = size % BLOCK
  if (rest) yield Buffer.alloc(BLOCK - rest)
}

function* padded(body: Buffer): Generator<Buffer> {
  yield body
  const rest = body.length % BLOCK
  if (rest) yield Buffer.alloc(BLOCK - rest)
}

function paxBody(fields: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.entries(fields).map(([key, value]) => {
      const text = ` ${key}=${value}\n`
      // The length prefix counts its own digits.
      let length = Buffer.byteLength(text) + 1
      while (String(length).length + Buffer.byteLength(text) !== length) length++
      return Buffer.from(`${length}${text}`)
    })
  )
}

function header(h: { name: string; mode: number; size: number; type: string; linkTarget: string }): Buffer {
  const b = Buffer.alloc(BLOCK)
  const put = (text: string, offset: number, length: number): void => {
    Buffer.from(text, 'utf8').copy(b, offset, 0, length)
  }
  const octal = (value: number, offset: number, length: number): void => {
    put(
      value
        .toString(8)
        .padStart(length - 1, '0')
        .slice(-(length - 1)),
      offset,
      length - 1
    )
  }
  put(h.name, 0, 100)
  octal(h.mode & 0o7777, 100, 8)
  octal(0, 108, 8)
  octal(0, 116, 8)
  octal(h.size > 0o77777777777 ? 0 : h.size, 124, 12)
  octal(MTIME, 136, 12)
  b.fill(0x20, 148, 156) // checksum counts as spaces while it is computed
  put(h.type, 156, 1)
  put(h.linkTarget, 157, 100)
  put('ustar\u000000', 257, 8)
  put('root', 265, 32)
  put('root', 297, 32)
  let sum = 0
  for (const byte of b) sum += byte
  put(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8)
  return b
}
