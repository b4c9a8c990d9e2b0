import * as fs from 'node:fs'
import * as zlib from 'node:zlib'
import { promisify } from 'node:util'
import { pipeline } from 'node:stream/promises'
import { Writable } from 'node:stream'
import type { Entry } from './collect.js'
import { FileSink } from './file-sink.js'
import { isKnownCompressed, probeCompresses, PROBE_BYTES, worthDeflating } from './compressibility.js'
import {
  centralHeader,
  endOfCentralDirectory,
  localHeader,
  LOCAL_CRC_OFFSET,
  METHOD_DEFLATE,
  METHOD_STORE,
  type CentralRecord
} from './zip-format.js'

const deflateRaw = promisify(zlib.deflateRaw)

/** Files up to this size are read whole and deflated in the thread pool, several at a time. */
const BUFFERED_MAX = 4 << 20
/** Entries prepared ahead of the one being written, and the bytes they may hold at most. */
const WINDOW_ENTRIES = 16
const WINDOW_BYTES = 48 << 20
/** Below this, a synchronous read beats the thread pool round trips. */
const SYNC_MAX = 64 << 10
/** Local headers of files at least this large reserve ZIP64 size fields. */
const ZIP64_RESERVE = 0xffffffff - (64 << 20)

export interface ZipOptions {
  level?: number
}

interface Prepared {
  entry: Entry
  name: Buffer
  method: number
  crc: number
  size: number
  /** The bytes to write; undefined when the file is streamed at write time. */
  data?: Buffer
}

/**
 * Writes `entries` as a zip file at `file`, streaming: memory stays bounded by the prefetch window
 * whatever the size of the tree. Deterministic for a given tree (order, timestamps, attributes).
 */
export async function writeZip(entries: readonly Entry[], file: string, options: ZipOptions = {}): Promise<number> {
  const level = options.level ?? 6
  const sink = await FileSink.create(file)
  const central: CentralRecord[] = []
  try {
    const queue: Array<Promise<Prepared>> = []
    let next = 0
    let windowBytes = 0
    const fill = (): void => {
      while (next < entries.length && queue.length < WINDOW_ENTRIES && windowBytes < WINDOW_BYTES) {
        const entry = entries[next++]!
        const held = entry.kind === 'file' && entry.size <= BUFFERED_MAX ? entry.size : 0
        windowBytes += held
        queue.push(prepare(entry, level).then(p => ((windowBytes -= held), p)))
        // Keep a rejected preparation from surfacing as unhandled before its turn comes.
        queue[queue.length - 1]!.catch(() => undefined)
      }
    }
    fill()
    while (queue.length > 0) {
      const prepared = await queue.shift()!
      fill()
      central.push(prepared.data !== undefined || prepared.entry.kind !== 'file'
        ? await writeBuffered(sink, prepared)
        : await writeStreamed(sink, prepared, level))
    }
    const dirOffset = sink.position
    for (const record of central) await sink.write(centralHeader(record))
    await sink.write(endOfCentralDirectory(central.length, dirOffset, sink.position - dirOffset))
    return await sink.close()
  } catch (error) {
    await sink.abandon()
    throw error
  }
}

async function prepare(entry: Entry, level: number): Promise<Prepared> {
  const name = Buffer.from(entry.kind === 'dir' ? `${entry.path}/` : entry.path, 'utf8')
  if (entry.kind === 'dir') return { entry, name, method: METHOD_STORE, crc: 0, size: 0, data: Buffer.alloc(0) }
  if (entry.kind === 'symlink') {
    const data = Buffer.from(entry.linkTarget ?? '', 'utf8')
    return { entry, name, method: METHOD_STORE, crc: zlib.crc32(data), size: data.length, data }
  }
  if (entry.size > BUFFERED_MAX) return { entry, name, method: METHOD_DEFLATE, crc: 0, size: entry.size }
  const raw = entry.size <= SYNC_MAX ? fs.readFileSync(entry.absolute) : await fs.promises.readFile(entry.absolute)
  const crc = zlib.crc32(raw)
  if (raw.length > 0 && !isKnownCompressed(entry.path)) {
    const deflated = raw.length <= SYNC_MAX ? zlib.deflateRawSync(raw, { level }) : await deflateRaw(raw, { level })
    if (worthDeflating(raw.length, deflated.length)) {
      return { entry, name, method: METHOD_DEFLATE, crc, size: raw.length, data: deflated }
    }
  }
  return { entry, name, method: METHOD_STORE, crc, size: raw.length, data: raw }
}

function unixMode(entry: Entry): number {
  const type = entry.kind === 'dir' ? 0o040000 : entry.kind === 'symlink' ? 0o120000 : 0o100000
  return type | (entry.mode & 0o7777)
}

async function writeBuffered(sink: FileSink, p: Prepared): Promise<CentralRecord> {
  const data = p.data ?? Buffer.alloc(0)
  const offset = sink.position
  const record = { name: p.name, method: p.method, crc: p.crc, compressedSize: data.length, size: p.size, zip64Local: false }
  await sink.write(localHeader(record))
  await sink.write(data)
  return { ...record, offset, unixMode: unixMode(p.entry), isDir: p.entry.kind === 'dir' }
}

/** A large file: header first, data streamed, then CRC and sizes patched into the header. */
async function writeStreamed(sink: FileSink, p: Prepared, level: number): Promise<CentralRecord> {
  const offset = sink.position
  const zip64Local = p.entry.size >= ZIP64_RESERVE
  let method = !isKnownCompressed(p.entry.path) && (await sampleCompresses(p.entry.absolute, level)) ? METHOD_DEFLATE : METHOD_STORE
  for (;;) {
    const header = localHeader({ name: p.name, method, crc: 0, compressedSize: 0, size: 0, zip64Local })
    await sink.write(header)
    const dataStart = sink.position
    const { crc, size } = await streamData(sink, p.entry.absolute, method, level)
    const compressedSize = sink.position - dataStart
    if (method === METHOD_DEFLATE && !worthDeflating(size, compressedSize)) {
      // The sample misjudged the file: write it again, stored.
      await sink.rewind(offset)
      method = METHOD_STORE
      continue
    }
    const record = { name: p.name, method, crc, compressedSize, size, zip64Local }
    if (!zip64Local && (size >= 0xffffffff || compressedSize >= 0xffffffff)) {
      throw new Error(`${p.entry.path} grew past 4 GiB while it was being bundled`)
    }
    await sink.patch(offset + LOCAL_CRC_OFFSET, localHeader(record).subarray(LOCAL_CRC_OFFSET, 26))
    if (zip64Local) await sink.patch(offset + 30 + p.name.length, localHeader(record).subarray(30 + p.name.length))
    return { ...record, offset, unixMode: unixMode(p.entry), isDir: false }
  }
}

async function sampleCompresses(file: string, level: number): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r')
  try {
    const sample = Buffer.alloc(PROBE_BYTES)
    const { bytesRead } = await handle.read(sample, 0, PROBE_BYTES, 0)
    return probeCompresses(sample.subarray(0, bytesRead), level)
  } finally {
    await handle.close()
  }
}

async function streamData(sink: FileSink, file: string, method: number, level: number): Promise<{ crc: number; size: number }> {
  let crc = 0
  let size = 0
  const source = fs.createReadStream(file, { highWaterMark: 1 << 20 })
  source.on('data', chunk => {
    const buf = chunk as Buffer
    crc = zlib.crc32(buf, crc)
    size += buf.length
  })
  const target = new Writable({
    write(chunk: Buffer, _encoding, done) {
      sink.write(chunk).then(() => done(), done)
    }
  })
  if (method === METHOD_DEFLATE) {
    await pipeline(source, zlib.createDeflateRaw({ level }), target)
  } else {
    await pipeline(source, target)
  }
  return { crc, size }
}
