import { MIN_GAIN, PROBE_BYTES } from './compressibility.js'
import { BATCH_FIELDS, ENTRY_FILE, ENTRY_SYMLINK, RESULT_FIELDS } from './batch-fields.js'

/**
 * The code of a deflate worker thread, evaluated as CommonJS (a string, so the bundled action
 * needs no second file). It reads files itself and writes its output straight into its slot of
 * the shared memory the pool gave it, so nothing is allocated per file: a worker's memory stays
 * a few MB however many gigabytes go through it.
 *
 * Deflating into a given buffer uses the zlib handle under Node's own deflateRawSync (its
 * `writeSync`, unchanged since Node 10); where that is missing it falls back to deflateRawSync.
 */
export const WORKER_SOURCE = `
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const zlib = require('node:zlib')
const { Z_FINISH, Z_SYNC_FLUSH } = zlib.constants
const MIN_GAIN = ${MIN_GAIN}
const PROBE_BYTES = ${PROBE_BYTES}
const WINDOW = 32768
const level = workerData.level
const shared = Buffer.from(workerData.shared)
const scratch = Buffer.allocUnsafeSlow(PROBE_BYTES)
let input = Buffer.allocUnsafeSlow(1 << 20)

const changed = (path, how) =>
  Object.assign(new Error(path + ' changed while it was being bundled (' + how + ')'), { code: 'ECHANGED', path, how })

/** A reusable buffer of at least size bytes. */
function room(size) {
  if (input.length < size) input = Buffer.allocUnsafeSlow(Math.max(size, input.length * 2))
  return input
}

/**
 * The file as it is now must be the file as it was listed: same size, same inode (not replaced),
 * same mtime and ctime (not written, not chmod-ed). Checked before and after every read, so all
 * the reads of one file (pieces, windows, a stored rewrite) are known to see the same bytes.
 */
function checkVersion(file, st) {
  const listed = file.listed
  if (listed && st.ino !== listed.ino) throw changed(file.path, 'it was replaced by another file')
  if (st.size > file.size) throw changed(file.path, 'it grew')
  if (st.size < file.size) throw changed(file.path, 'it is shorter than when it was listed')
  if (!listed) return
  if (st.mtimeMs !== listed.mtimeMs || st.ctimeMs !== listed.ctimeMs) throw changed(file.path, 'it was modified')
}

/**
 * What a failed read of the file open at fd reports: the change, when the file is no longer the
 * one listed (a directory now, say: EISDIR says less); otherwise the read's error, naming the file
 * (a read's own error, EIO say, names none).
 */
function readFailure(file, fd, error) {
  if (error && error.code !== 'ECHANGED') checkVersion(file, fs.fstatSync(fd))
  if (error && typeof error === 'object' && !error.path) error.path = file.path
  return error
}

/** Exactly length bytes at position into target; with atEnd, the file must end there too. */
function readExact(file, position, length, target, offset, atEnd) {
  const fd = fs.openSync(file.path, 'r')
  try {
    checkVersion(file, fs.fstatSync(fd))
    let got = 0
    while (got < length) {
      const n = fs.readSync(fd, target, offset + got, length - got, position + got)
      if (n === 0) throw changed(file.path, 'it is shorter than when it was listed')
      got += n
    }
    if (atEnd && fs.readSync(fd, scratch, 0, 1, position + length) > 0) throw changed(file.path, 'it grew')
    checkVersion(file, fs.fstatSync(fd))
  } catch (error) {
    throw readFailure(file, fd, error)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Deflates data into out[offset, offset + capacity); returns the length, or -1 when it does not
 * fit. A fresh engine each time, except for the small files of one batch (engines given): a reset
 * engine still holds the previous file's bytes in its window and can give different bytes than a
 * fresh one, but a batch is always the same files in the same order, whatever worker runs it, so
 * the bytes stay the same whatever the number of workers; and setting up an engine per 150-byte
 * file cost more than deflating it.
 */
function deflateInto(data, flush, dictionary, out, offset, capacity, engines) {
  const own = dictionary !== undefined
  // A whole small file gets a window just big enough for it (the same matches are in reach) and a
  // small hash: smaller state to set up and zero.
  const sized = engines ? smallEngine(data.length) : undefined
  const key = sized && sized.windowBits
  let e = engines && engines.get(key)
  if (e) e.reset()
  else {
    // chunkSize: the engine's own output buffer goes unused (output goes to out), so keep it tiny.
    e = zlib.createDeflateRaw(own ? { level, dictionary, chunkSize: 64 } : { level, chunkSize: 64, ...sized })
    if (engines) engines.set(key, e)
  }
  const handle = e._handle
  const state = e._writeState
  try {
    if (!handle || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array)) {
      const packed = zlib.deflateRawSync(data, { level, finishFlush: flush, ...(own ? { dictionary } : sized) })
      if (packed.length > capacity) return -1
      packed.copy(out, offset)
      return packed.length
    }
    let failure
    const onError = error => { failure = error }
    e.on('error', onError)
    try {
      let inOffset = 0
      let inLength = data.length
      let produced = 0
      for (;;) {
        handle.writeSync(flush, data, inOffset, inLength, out, offset + produced, capacity - produced)
        if (failure) throw failure
        const availOut = state[0]
        const availIn = state[1]
        produced = capacity - availOut
        inOffset += inLength - availIn
        inLength = availIn
        if (availOut !== 0) return produced
        if (produced >= capacity) return -1
      }
    } finally {
      e.removeListener('error', onError)
    }
  } finally {
    if (!engines) e.close()
  }
}

/** Window and hash for a file deflated whole: a function of its size only, so the bytes stay reproducible. */
function smallEngine(size) {
  let windowBits = 9
  while (windowBits < 15 && 1 << windowBits < size + 262) windowBits++
  return { windowBits, memLevel: Math.max(1, Math.min(8, windowBits - 7)) }
}

/**
 * A small file, read whole into target[offset, offset + size). One read, then one fstat: any
 * change before or during that read (a write, a chmod, a replace, a resize) shows in the fstat
 * after it, so the check before, which a file read in several reads needs, is not needed here.
 */
function readSmall(file, target, offset) {
  const fd = fs.openSync(file.path, 'r')
  try {
    let got = 0
    while (got < file.size) {
      const n = fs.readSync(fd, target, offset + got, file.size - got, got)
      if (n === 0) throw changed(file.path, 'it is shorter than when it was listed')
      got += n
    }
    checkVersion(file, fs.fstatSync(fd))
  } catch (error) {
    throw readFailure(file, fd, error)
  } finally {
    fs.closeSync(fd)
  }
}

function files(task) {
  const engines = new Map()
  try {
    return batch(task, engines)
  } finally {
    for (const e of engines.values()) e.close()
  }
}

/**
 * The batch as it goes in the zip, each entry's local header then its data, so the writer hands the
 * whole slot to the file in one write. The header is the one format.ts writeLocalHeader encodes
 * (no ZIP64: a batch entry is at most a slot), written once the CRC and sizes are known. Entries
 * come packed (FilesTask in deflate-pool.ts) and go back as one table: nothing per entry crosses threads.
 */
function batch(task, engines) {
  const { time, fields } = task
  const names = task.names.split('\0')
  const count = fields.length / ${BATCH_FIELDS}
  const table = new Float64Array(count * ${RESULT_FIELDS})
  // One description of the file being read, reused: readSmall and checkVersion take it.
  const listed = { ino: 0, mtimeMs: 0, ctimeMs: 0 }
  const file = { path: '', size: 0, listed: undefined }
  let at = task.offset
  for (let i = 0; i < count; i++) {
    const f = i * ${BATCH_FIELDS}
    const kind = fields[f]
    const start = at
    // The name straight into the header (no Buffer per entry); the slot has room for it (write-zip.ts plans it).
    const nameLength = shared.write(names[2 * i], start + 30, 'utf8')
    const data = start + 39 + nameLength
    let crc = 0
    let size = 0
    let length = 0
    let deflated = false
    if (kind === ${ENTRY_SYMLINK}) {
      size = length = shared.write(names[2 * i + 1], data, 'utf8')
      crc = zlib.crc32(shared.subarray(data, data + size))
    } else if (kind === ${ENTRY_FILE}) {
      file.path = names[2 * i + 1]
      file.size = size = fields[f + 1]
      if (Number.isNaN(fields[f + 3])) file.listed = undefined
      else {
        listed.ino = fields[f + 3]
        listed.mtimeMs = fields[f + 4]
        listed.ctimeMs = fields[f + 5]
        file.listed = listed
      }
      if (fields[f + 2] === 0 || size === 0) {
        readSmall(file, shared, data)
        crc = zlib.crc32(shared.subarray(data, data + size))
        length = size
      } else {
        const raw = room(size).subarray(0, size)
        readSmall(file, raw, 0)
        crc = zlib.crc32(raw)
        // Room for output that saves MIN_GAIN at least: anything bigger is stored instead.
        const n = deflateInto(raw, Z_FINISH, undefined, shared, data, Math.floor(size * (1 - MIN_GAIN)), engines)
        if (n < 0) raw.copy(shared, data)
        deflated = n >= 0
        length = n < 0 ? size : n
      }
    }
    shared.writeUInt32LE(0x04034b50, start)
    shared.writeUInt16LE(20, start + 4)
    shared.writeUInt16LE(0x0800, start + 6)
    shared.writeUInt16LE(deflated ? 8 : 0, start + 8)
    shared.writeUInt16LE(time.dosTime, start + 10)
    shared.writeUInt16LE(time.dosDate, start + 12)
    shared.writeUInt32LE(crc >>> 0, start + 14)
    shared.writeUInt32LE(length, start + 18)
    shared.writeUInt32LE(size, start + 22)
    shared.writeUInt16LE(nameLength, start + 26)
    shared.writeUInt16LE(9, start + 28)
    const ut = start + 30 + nameLength
    shared.writeUInt16LE(0x5455, ut)
    shared.writeUInt16LE(5, ut + 2)
    shared.writeUInt8(1, ut + 4)
    shared.writeUInt32LE(time.unixSeconds, ut + 5)
    at = data + length
    const r = i * ${RESULT_FIELDS}
    table[r] = crc >>> 0
    table[r + 1] = size
    table[r + 2] = length
    table[r + 3] = deflated ? 1 : 0
    table[r + 4] = start - task.offset
  }
  return { table, used: at - task.offset }
}

/**
 * One piece of a big file. Besides its CRC it returns the CRC of the window before it (read again
 * here as the deflate dictionary) and of its own last WINDOW bytes, so the writer can check that
 * the window this piece was primed with is what the previous piece really held.
 */
function range(task) {
  const file = task.file
  const tail = raw => zlib.crc32(raw.subarray(Math.max(0, raw.length - WINDOW)))
  if (!task.deflate) {
    readExact(file, task.start, task.length, shared, task.offset, task.last)
    const raw = shared.subarray(task.offset, task.offset + task.length)
    return { crc: zlib.crc32(raw), length: task.length, windowCrc: 0, tailCrc: tail(raw) }
  }
  const dictionary = Math.min(WINDOW, task.start)
  const buf = room(dictionary + task.length)
  readExact(file, task.start - dictionary, dictionary + task.length, buf, 0, task.last)
  const raw = buf.subarray(dictionary, dictionary + task.length)
  const preset = dictionary > 0 ? buf.subarray(0, dictionary) : undefined
  const n = deflateInto(raw, task.last ? Z_FINISH : Z_SYNC_FLUSH, preset, shared, task.offset, task.capacity)
  if (n < 0) throw new Error('deflate output did not fit its slot')
  return { crc: zlib.crc32(raw), length: n, windowCrc: preset ? zlib.crc32(preset) : 0, tailCrc: tail(raw) }
}

function probe(task) {
  const size = Math.min(PROBE_BYTES, task.file.size)
  const sample = room(size).subarray(0, size)
  readExact(task.file, 0, size, sample, 0, false)
  return { compresses: size > 0 && deflateInto(sample, Z_FINISH, undefined, scratch, 0, Math.floor(size * (1 - MIN_GAIN))) >= 0 }
}

parentPort.on('message', ({ id, task }) => {
  try {
    const result = task.kind === 'files' ? files(task) : task.kind === 'range' ? range(task) : probe(task)
    parentPort.postMessage({ id, result }, result.table ? [result.table.buffer] : [])
  } catch (error) {
    const message = String((error && error.message) || error)
    const path = (error && error.path) || (task.file && task.file.path)
    parentPort.postMessage({ id, error: { message, code: error && error.code, path, how: error && error.how } })
  }
})
`
