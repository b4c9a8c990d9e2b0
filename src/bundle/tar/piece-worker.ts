import { READ_FIELDS } from './layout.js'

/** Numbers a worker reports per file it read, in `seen`: entry, inode, mtimeMs, ctimeMs. */
export const SEEN_FIELDS = 4

/**
 * The code of a piece worker thread, evaluated as CommonJS (a string, so the bundled action is
 * one file). It fills a piece's file ranges into the buffer it was handed (headers already in
 * place), checks every read (below), takes the CRC, and deflates the piece primed with the
 * 32 KiB before it: ending on a byte boundary (sync flush), or ending the stream for the last
 * piece. The deflated bytes go back in the same buffer (the raw piece is no longer needed), so
 * the same few buffers go round between threads and nothing is allocated per piece. With no
 * `level` (a plain tar) the filled buffer goes back as it is.
 *
 * A read is refused when the file's size is not the listed one, when the read comes up short,
 * or when fstat after the read differs from the walk's lstat (inode, mtime, ctime) or, when the
 * walk recorded none, from fstat before the read.
 *
 * Deflating into a given buffer uses the zlib handle under Node's own deflateRawSync (its
 * writeSync, unchanged since Node 10); where that is missing it falls back to deflateRawSync.
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
let out = Buffer.alloc(0)

const changed = (entry, how) => Object.assign(new Error(how), { code: 'ECHANGED', how, entry })
const sizeChange = (entry, size, listed) => changed(entry, size > listed ? 'it grew' : 'it is shorter than when it was listed')

/** Bytes [position, position + length) of the file into target at at; r: the read's fields in reads. */
function readRange(path, reads, r, target, seen, n) {
  const at = reads[r], entry = reads[r + 1], position = reads[r + 2], length = reads[r + 3], listed = reads[r + 4]
  const ino = reads[r + 5], mtime = reads[r + 6], ctime = reads[r + 7]
  let fd
  try {
    fd = fs.openSync(path, 'r')
    const known = !Number.isNaN(ino)
    const before = known ? undefined : fs.fstatSync(fd)
    if (before && before.size !== listed) throw sizeChange(entry, before.size, listed)
    for (let got = 0; got < length; ) {
      const read = fs.readSync(fd, target, at + got, length - got, position + got)
      if (read === 0) throw changed(entry, 'it is shorter than when it was listed')
      got += read
    }
    const after = fs.fstatSync(fd)
    if (after.size !== listed) throw sizeChange(entry, after.size, listed)
    if (known && after.ino !== ino) throw changed(entry, 'it was replaced by another file')
    const then = before || { mtimeMs: mtime, ctimeMs: ctime }
    if (after.mtimeMs !== then.mtimeMs || after.ctimeMs !== then.ctimeMs) throw changed(entry, 'it was modified')
    seen[n * SEEN_FIELDS] = entry
    seen[n * SEEN_FIELDS + 1] = after.ino
    seen[n * SEEN_FIELDS + 2] = after.mtimeMs
    seen[n * SEEN_FIELDS + 3] = after.ctimeMs
  } catch (error) {
    if (error && typeof error === 'object' && error.entry === undefined) error.entry = entry
    throw error
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/**
 * Deflates data into out (grown as needed) and returns the length. A fresh engine each piece:
 * the same piece must give the same bytes, whatever ran on this thread before.
 */
function deflate(data, flush, dictionary) {
  const capacity = data.length + (data.length >> 8) + 4096
  if (out.length < capacity) out = Buffer.allocUnsafeSlow(capacity)
  const e = zlib.createDeflateRaw(dictionary ? { level, dictionary, chunkSize: 64 } : { level, chunkSize: 64 })
  const handle = e._handle
  const state = e._writeState
  try {
    if (!handle || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array)) {
      const packed = zlib.deflateRawSync(data, { level, finishFlush: flush, ...(dictionary ? { dictionary } : {}) })
      if (out.length < packed.length) out = Buffer.allocUnsafeSlow(packed.length)
      return packed.copy(out, 0)
    }
    let failure
    e.on('error', error => (failure = error))
    handle.writeSync(flush, data, 0, data.length, out, 0, capacity)
    if (failure) throw failure
    // state: [output room left, input left]; the room is deflate's worst case, so all of it went.
    if (state[1] !== 0 || state[0] === 0) throw new Error('deflate output did not fit')
    return capacity - state[0]
  } finally {
    e.close()
  }
}

function piece(task) {
  const buffer = Buffer.from(task.buffer, 0, task.used)
  const seen = new Float64Array(task.paths.length * SEEN_FIELDS)
  for (let n = 0; n < task.paths.length; n++) readRange(task.paths[n], task.reads, n * READ_FIELDS, buffer, seen, n)
  const body = buffer.subarray(task.dictionary)
  const crc = zlib.crc32(body)
  if (level === undefined) return { crc, length: body.length, output: task.buffer, offset: task.dictionary, size: body.length, seen }
  const dictionary = task.dictionary > 0 ? buffer.subarray(0, task.dictionary) : undefined
  const size = deflate(body, task.last ? Z_FINISH : Z_SYNC_FLUSH, dictionary)
  if (size > task.buffer.byteLength) throw new Error('deflate output is larger than its buffer')
  out.copy(Buffer.from(task.buffer), 0, 0, size)
  return { crc, length: body.length, output: task.buffer, offset: 0, size, seen }
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
