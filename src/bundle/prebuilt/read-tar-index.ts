import * as fs from 'node:fs'
import { createGunzip } from 'node:zlib'
import { MAX_WANTED_SIZE, normalizeName, type ArchiveEntry, type ArchiveIndex } from './archive-entry.js'
import { CorruptArchive } from './read-zip-index.js'

const BLOCK = 512

function text(b: Buffer, start: number, length: number): string {
  const s = b.subarray(start, start + length)
  const nul = s.indexOf(0)
  return (nul < 0 ? s : s.subarray(0, nul)).toString('utf8')
}

/** An octal field, or GNU base-256 when the high bit is set (sizes past 8 GiB). */
function numeric(b: Buffer, start: number, length: number): number {
  if ((b[start]! & 0x80) !== 0) {
    let v = 0n
    for (let i = start + 1; i < start + length; i++) v = (v << 8n) | BigInt(b[i]!)
    return Number(v)
  }
  const digits = text(b, start, length).trim()
  if (digits && !/^[0-7]+$/.test(digits)) throw new CorruptArchive('a header field is not octal')
  return digits ? parseInt(digits, 8) : 0
}

/** The `path` (or `linkpath`) record of a pax extended header. */
function paxPath(data: Buffer): string | undefined {
  let found: string | undefined
  for (let p = 0; p < data.length;) {
    const space = data.indexOf(0x20, p)
    if (space < 0) break
    const length = Number(data.subarray(p, space).toString('ascii'))
    if (!(length > 0)) break
    const record = data.subarray(space + 1, p + length - 1).toString('utf8')
    const eq = record.indexOf('=')
    if (record.slice(0, eq) === 'path') found = record.slice(eq + 1)
    p += length
  }
  return found
}

/**
 * A tar's (or gzipped tar's) entries, streamed header by header: ustar, GNU long names and pax
 * paths. File data is skipped, except the wanted files, which are kept.
 */
export async function readTarIndex(file: string, gzipped: boolean, wanted: readonly string[]): Promise<ArchiveIndex> {
  const entries: ArchiveEntry[] = []
  const contents = new Map<string, Buffer>()
  const source = fs.createReadStream(file, { highWaterMark: 1 << 20 })
  const stream: AsyncIterable<Buffer> = gzipped ? source.pipe(createGunzip()) : source
  let buf: Buffer = Buffer.alloc(0)
  let left = 0 // data bytes of the current entry still to pass
  let pad = 0
  let collect: Buffer[] | undefined
  let onData: (data: Buffer) => void = () => undefined
  let longName: string | undefined
  let ended = false
  try {
    for await (const chunk of stream) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      while (!ended) {
        if (left > 0 || pad > 0) {
          const take = Math.min(left > 0 ? left : pad, buf.length)
          if (take === 0) break
          if (left > 0) {
            collect?.push(buf.subarray(0, take))
            left -= take
            if (left === 0 && collect) {
              onData(Buffer.concat(collect))
              collect = undefined
            }
          } else pad -= take
          buf = buf.subarray(take)
          continue
        }
        if (buf.length < BLOCK) break
        const h = buf.subarray(0, BLOCK)
        buf = buf.subarray(BLOCK)
        if (h.every(x => x === 0)) {
          ended = true
          break
        }
        const size = numeric(h, 124, 12)
        const type = String.fromCharCode(h[156]!)
        const prefix = text(h, 257, 6).startsWith('ustar') ? text(h, 345, 155) : ''
        left = size
        pad = (BLOCK - (size % BLOCK)) % BLOCK
        collect = undefined
        if (type === 'L' || type === 'x') {
          if (size > MAX_WANTED_SIZE) throw new CorruptArchive('an extended header is too large')
          collect = []
          onData = data => {
            longName = type === 'L' ? text(data, 0, data.length) : (paxPath(data) ?? longName)
          }
          if (size === 0) collect = undefined
          continue
        }
        if (type === 'g' || type === 'K') continue
        const raw = longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100))
        longName = undefined
        const kind =
          type === '5'
            ? 'dir'
            : type === '2'
              ? 'symlink'
              : type === '0' || type === '\0' || type === '1' || type === '7'
                ? 'file'
                : undefined
        if (!kind) continue // devices and FIFOs: the agent makes nothing of them
        const entry: ArchiveEntry = {
          raw,
          path: normalizeName(raw),
          kind,
          mode: numeric(h, 100, 8) & 0o7777,
          size: kind === 'file' ? size : 0
        }
        entries.push(entry)
        if (kind === 'file' && size > 0 && size <= MAX_WANTED_SIZE && wanted.includes(entry.path)) {
          collect = []
          onData = data => contents.set(entry.path, data)
        } else if (kind === 'file' && size === 0 && wanted.includes(entry.path)) contents.set(entry.path, Buffer.alloc(0))
      }
      if (ended) break
    }
  } catch (error) {
    if (error instanceof CorruptArchive) throw error
    throw new CorruptArchive(gzipped ? `not a gzipped tar (${(error as Error).message})` : (error as Error).message)
  } finally {
    source.destroy()
  }
  if (!ended && (left > 0 || buf.length > 0)) throw new CorruptArchive('the archive ends in the middle of an entry')
  return { entries, contents }
}
