/** Sample of a file range deflated (at level 1) to judge whether the range compresses. */
export const PROBE_BYTES = 16 << 10
/** File ranges at least this long are judged on their own; shorter ones are deflated with what surrounds them. */
export const STORE_MIN = 32 << 10
/** Stored rather than deflated unless deflating the sample saves at least this share (as in the zip writer). */
const MIN_GAIN = 0.02

/**
 * JavaScript for the piece worker (a string: the worker is evaluated, so the bundled action is
 * one file). `compressPiece` turns one piece of the tar stream into its part of a single deflate
 * stream: segments, each ending byte-aligned so they and the pieces join (as pigz joins its
 * blocks). A file range that does not compress (an image, an archive, random data) goes in
 * stored blocks, copied instead of searched for matches: deflate gains nothing on such data and
 * runs at a tenth of its usual speed. The rest is deflated, each segment by a fresh engine primed
 * with the 32 KiB before it, so the bytes depend on the piece alone, whatever ran on the thread
 * before. The last piece ends with an empty final block (03 00, what zlib writes to finish).
 *
 * Deflating into a given buffer uses the zlib handle under Node's own deflateRawSync (its
 * writeSync, unchanged since Node 10); where that is missing it falls back to deflateRawSync.
 *
 * Expects in scope: zlib, level.
 */
export const PIECE_DEFLATE_SOURCE = `
const { Z_SYNC_FLUSH } = zlib.constants
const WINDOW = 32768
const PROBE_BYTES = ${PROBE_BYTES}
const MIN_GAIN = ${MIN_GAIN}
const STORED_MAX = 65535
const scratch = Buffer.allocUnsafeSlow(PROBE_BYTES + 1024)
let out = Buffer.alloc(0)

/** Deflates data (sync flush) into target at offset; the length, or -1 when it needs more than capacity. */
function deflateInto(data, dictionary, engineLevel, target, offset, capacity) {
  const options = dictionary && dictionary.length > 0 ? { level: engineLevel, dictionary, chunkSize: 64 } : { level: engineLevel, chunkSize: 64 }
  const e = zlib.createDeflateRaw(options)
  const handle = e._handle
  const state = e._writeState
  try {
    if (!handle || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array)) {
      const packed = zlib.deflateRawSync(data, { ...options, finishFlush: Z_SYNC_FLUSH })
      return packed.length > capacity ? -1 : packed.copy(target, offset)
    }
    let failure
    e.on('error', error => (failure = error))
    handle.writeSync(Z_SYNC_FLUSH, data, 0, data.length, target, offset, capacity)
    if (failure) throw failure
    // state: [output room left, input left]. No room left: it may not have flushed everything.
    if (state[1] !== 0 || state[0] === 0) return -1
    return capacity - state[0]
  } finally {
    e.close()
  }
}

/** Does this sample shrink by MIN_GAIN at least, deflated at level 1? */
function compresses(sample) {
  return deflateInto(sample, undefined, 1, scratch, 0, Math.floor(sample.length * (1 - MIN_GAIN))) >= 0
}

/** Room in out for at least n more bytes after at (copying what is there). */
function room(at, n) {
  if (out.length >= at + n) return
  const bigger = Buffer.allocUnsafeSlow(Math.max(at + n, out.length * 2))
  out.copy(bigger, 0, 0, at)
  out = bigger
}

/** buffer[from, to) deflated at out[at]; returns the new end of out. */
function deflateSegment(buffer, from, to, at) {
  if (to <= from) return at
  const data = buffer.subarray(from, to)
  const dictionary = buffer.subarray(Math.max(0, from - WINDOW), from)
  const capacity = data.length + (data.length >> 8) + 4096
  room(at, capacity)
  const n = deflateInto(data, dictionary, level, out, at, capacity)
  if (n < 0) throw new Error('deflate output did not fit its worst case')
  return at + n
}

/** buffer[from, to) as stored blocks (the stream is byte-aligned here) at out[at]; returns the new end. */
function storeSegment(buffer, from, to, at) {
  room(at, to - from + 5 * Math.ceil((to - from) / STORED_MAX))
  for (let p = from; p < to; p += STORED_MAX) {
    const n = Math.min(STORED_MAX, to - p)
    out[at] = 0 // not final, stored; the rest of the byte is padding
    out.writeUInt16LE(n, at + 1)
    out.writeUInt16LE(n ^ 0xffff, at + 3)
    buffer.copy(out, at + 5, p, p + n)
    at += 5 + n
  }
  return at
}

/**
 * The piece buffer[body, end) compressed into out; returns the length. candidates: pairs
 * (offset in the piece, length) of file ranges of STORE_MIN bytes or more, in order.
 */
function compressPiece(buffer, body, end, candidates, last) {
  let at = 0
  let from = body
  for (let c = 0; c < candidates.length; c += 2) {
    const start = body + candidates[c]
    const stop = start + candidates[c + 1]
    if (compresses(buffer.subarray(start, Math.min(stop, start + PROBE_BYTES)))) continue
    at = deflateSegment(buffer, from, start, at)
    at = storeSegment(buffer, start, stop, at)
    from = stop
  }
  at = deflateSegment(buffer, from, end, at)
  if (last) {
    room(at, 2)
    out[at++] = 0x03 // final block, fixed codes, holding only the end-of-block code
    out[at++] = 0x00
  }
  return at
}
`
