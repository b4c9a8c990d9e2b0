import { READ_FIELDS } from './layout.js'

/** Numbers a worker reports per file it read, in `seen`: entry, inode, mtimeMs, ctimeMs. */
export const SEEN_FIELDS = 4

/**
 * The code of a piece worker thread, evaluated as CommonJS (a string, so the bundled action is
 * one file). It fills a piece's file ranges into the buffer it was handed (headers already in
 * place), checks each file against the size the walk listed and against itself before and after
 * the read, takes the CRC, and deflates the piece primed with the 32 KiB before it: ending on a
 * byte boundary (sync flush), or ending the stream for the last piece. With no `level` (a plain
 * tar) the filled buffer goes back as it is. Buffers are moved between threads, not copied.
 */
export const PIECE_WORKER_SOURCE = `
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const zlib = require('node:zlib')
const { Z_FINISH, Z_SYNC_FLUSH } = zlib.constants
const level = workerData.level
const READ_FIELDS = ${READ_FIELDS}
const SEEN_FIELDS = ${SEEN_FIELDS}

const changed = (entry, how) => Object.assign(new Error(how), { code: 'ECHANGED', how, entry })
const sizeChange = (entry, size, listed) => changed(entry, size > listed ? 'it grew' : 'it is shorter than when it was listed')

/** length bytes at position of the file into target at at; the file must still be as listed. */
function readRange(path, entry, target, at, position, length, listed, seen, n) {
  let fd
  try {
    fd = fs.openSync(path, 'r')
    const before = fs.fstatSync(fd)
    if (before.size !== listed) throw sizeChange(entry, before.size, listed)
    for (let got = 0; got < length; ) {
      const read = fs.readSync(fd, target, at + got, length - got, position + got)
      if (read === 0) throw changed(entry, 'it is shorter than when it was listed')
      got += read
    }
    const after = fs.fstatSync(fd)
    if (after.size !== listed) throw sizeChange(entry, after.size, listed)
    if (after.mtimeMs !== before.mtimeMs || after.ctimeMs !== before.ctimeMs) throw changed(entry, 'it was modified')
    seen[n * SEEN_FIELDS] = entry
    seen[n * SEEN_FIELDS + 1] = before.ino
    seen[n * SEEN_FIELDS + 2] = before.mtimeMs
    seen[n * SEEN_FIELDS + 3] = before.ctimeMs
  } catch (error) {
    if (error && typeof error === 'object' && error.entry === undefined) error.entry = entry
    throw error
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/** An ArrayBuffer holding just the bytes of out, safe to move (Node's small buffers share a pool). */
function movable(out) {
  if (out.byteOffset === 0 && out.buffer.byteLength >= 65536) return out.buffer
  const copy = new Uint8Array(out.length)
  copy.set(out)
  return copy.buffer
}

function piece(task) {
  const buffer = Buffer.from(task.buffer)
  const reads = task.reads
  const seen = new Float64Array(task.paths.length * SEEN_FIELDS)
  for (let r = 0; r < task.paths.length; r++) {
    const o = r * READ_FIELDS
    readRange(task.paths[r], reads[o + 1], buffer, reads[o], reads[o + 2], reads[o + 3], reads[o + 4], seen, r)
  }
  const body = buffer.subarray(task.dictionary)
  const crc = zlib.crc32(body)
  if (level === undefined) return { crc, length: body.length, output: task.buffer, offset: task.dictionary, size: body.length, seen }
  const out = zlib.deflateRawSync(body, {
    level,
    finishFlush: task.last ? Z_FINISH : Z_SYNC_FLUSH,
    // One output chunk for the whole piece (deflate may add a little to what does not compress).
    chunkSize: Math.max(65536, body.length + (body.length >> 7) + 4096),
    ...(task.dictionary > 0 ? { dictionary: buffer.subarray(0, task.dictionary) } : {})
  })
  return { crc, length: body.length, output: movable(out), offset: 0, size: out.length, seen }
}

parentPort.on('message', ({ id, task }) => {
  try {
    const result = piece(task)
    parentPort.postMessage({ id, result }, [result.output, result.seen.buffer])
  } catch (error) {
    const e = error && typeof error === 'object' ? error : {}
    parentPort.postMessage({ id, error: { message: String(e.message || error), code: e.code, how: e.how, entry: e.entry } })
  }
})
`
