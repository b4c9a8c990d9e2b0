import { READ_FIELDS } from './layout.js'
import { PIECE_DEFLATE_SOURCE } from './piece-deflate.js'

/** Numbers a worker reports per file it read, in `seen`: entry, inode, mtimeMs, ctimeMs. */
export const SEEN_FIELDS = 4

/**
 * The code of a piece worker thread, evaluated as CommonJS (a string, so the bundled action is
 * one file). It fills a piece's file ranges into the buffer it was handed (headers already in
 * place), checks every read (below), takes the CRC, and compresses the piece (piece-deflate.ts)
 * into the same buffer (the raw piece is done with by then), so the same few buffers go round
 * between threads and nothing big is allocated per piece. With no `level` (a plain tar) the
 * filled buffer goes back as it is.
 *
 * A read is refused when the file's size is not the listed one, when the read comes up short,
 * or when fstat after the read differs from the walk's lstat (inode, mtime, ctime) or, when the
 * walk recorded none, from fstat before the read. A read that fails outright (EISDIR, EIO) on a
 * file that changed so is reported as the change.
 */
export const PIECE_WORKER_SOURCE = `
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const zlib = require('node:zlib')
const level = workerData.level
const READ_FIELDS = ${READ_FIELDS}
const SEEN_FIELDS = ${SEEN_FIELDS}

const changed = (entry, how) => Object.assign(new Error(how), { code: 'ECHANGED', how, entry })
const sizeChange = (entry, size, listed) => changed(entry, size > listed ? 'it grew' : 'it is shorter than when it was listed')

/** Throws if the file as fstat shows it is not the version read: same inode, size and times. */
function check(entry, st, listed, ino, mtime, ctime) {
  if (st.ino !== ino) throw changed(entry, 'it was replaced by another file')
  if (st.size !== listed) throw sizeChange(entry, st.size, listed)
  if (st.mtimeMs !== mtime || st.ctimeMs !== ctime) throw changed(entry, 'it was modified')
}

/** Bytes [position, position + length) of the file into target at at; r: the read's fields in reads. */
function readRange(path, reads, r, target, seen, n) {
  const at = reads[r], entry = reads[r + 1], position = reads[r + 2], length = reads[r + 3], listed = reads[r + 4]
  let ino = reads[r + 5], mtime = reads[r + 6], ctime = reads[r + 7]
  let fd
  let known = !Number.isNaN(ino)
  try {
    fd = fs.openSync(path, 'r')
    if (!known) {
      // No inode or times from the walk: the file as it is before the read is the version to keep.
      const before = fs.fstatSync(fd)
      if (before.size !== listed) throw sizeChange(entry, before.size, listed)
      ino = before.ino
      mtime = before.mtimeMs
      ctime = before.ctimeMs
      known = true
    }
    for (let got = 0; got < length; ) {
      const read = fs.readSync(fd, target, at + got, length - got, position + got)
      if (read === 0) throw changed(entry, 'it is shorter than when it was listed')
      got += read
    }
    const after = fs.fstatSync(fd)
    check(entry, after, listed, ino, mtime, ctime)
    seen[n * SEEN_FIELDS] = entry
    seen[n * SEEN_FIELDS + 1] = after.ino
    seen[n * SEEN_FIELDS + 2] = after.mtimeMs
    seen[n * SEEN_FIELDS + 3] = after.ctimeMs
  } catch (error) {
    // A read that fails on a file changed since it was listed (now a directory, say): the change is the news.
    if (fd !== undefined && known && error && error.code !== 'ECHANGED') check(entry, fs.fstatSync(fd), listed, ino, mtime, ctime)
    if (error && typeof error === 'object' && error.entry === undefined) error.entry = entry
    throw error
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

${PIECE_DEFLATE_SOURCE}
/** Every read of the task into buffer; what each saw. A loop of its own: the engine optimizes it while it runs. */
function readAll(task, buffer) {
  const seen = new Float64Array(task.paths.length * SEEN_FIELDS)
  for (let n = 0; n < task.paths.length; n++) readRange(task.paths[n], task.reads, n * READ_FIELDS, buffer, seen, n)
  return seen
}

function piece(task) {
  const buffer = Buffer.from(task.buffer, 0, task.used)
  const seen = readAll(task, buffer)
  const body = buffer.subarray(task.dictionary)
  const crc = zlib.crc32(body)
  if (level === undefined) return { crc, length: body.length, output: task.buffer, offset: task.dictionary, size: body.length, seen }
  const size = compressPiece(buffer, task.dictionary, task.used, task.candidates, task.last)
  // Back in the piece's own buffer (the raw bytes are done with), unless it grew past it.
  const output = size <= task.buffer.byteLength ? task.buffer : new ArrayBuffer(size)
  out.copy(Buffer.from(output), 0, 0, size)
  return { crc, length: body.length, output, offset: 0, size, seen }
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
