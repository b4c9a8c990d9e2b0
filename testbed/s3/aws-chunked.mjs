// @ts-check
// The SDK's default checksum mode sends streamed bodies as `aws-chunked` data:
//   <hex size>[;chunk-signature=...]\r\n<data>\r\n ... 0\r\n[<trailer>: <value>\r\n]\r\n
// S3 decodes it; s3rver stores it verbatim. This decoder gives back the plain bytes
// (trailing checksums are not verified).
import { Transform } from 'node:stream'

const EMPTY = Buffer.alloc(0)

/** Decodes an `aws-chunked` body (signed or unsigned, with or without trailers) into the plain bytes. */
export class AwsChunkedDecoder extends Transform {
  constructor() {
    super()
    /** @type {Buffer} */ this.rest = EMPTY
    /** @type {'size' | 'data' | 'crlf' | 'trailer' | 'done'} */ this.state = 'size'
    this.left = 0
  }

  /** @override @param {Buffer} chunk @param {BufferEncoding} _enc @param {(err?: Error | null) => void} cb */
  _transform(chunk, _enc, cb) {
    let b = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk
    while (b.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.left, b.length)
        this.push(b.subarray(0, n))
        b = b.subarray(n)
        this.left -= n
        if (this.left === 0) this.state = 'crlf'
        continue
      }
      if (this.state === 'crlf') {
        if (b.length < 2) break
        if (b[0] !== 13 || b[1] !== 10) return cb(new Error('malformed aws-chunked body: missing CRLF after chunk'))
        b = b.subarray(2)
        this.state = 'size'
        continue
      }
      const eol = b.indexOf('\r\n')
      if (eol < 0) {
        if (b.length > 8192) return cb(new Error('malformed aws-chunked body: header line too long'))
        break
      }
      const line = b.subarray(0, eol).toString('latin1')
      b = b.subarray(eol + 2)
      if (this.state === 'trailer') {
        if (line === '') this.state = 'done'
        continue
      }
      const size = parseInt(line.split(';')[0] ?? '', 16)
      if (!Number.isFinite(size) || size < 0) return cb(new Error(`malformed aws-chunked body: bad chunk size "${line}"`))
      if (size === 0) this.state = 'trailer'
      else {
        this.left = size
        this.state = 'data'
      }
    }
    this.rest = this.state === 'done' ? EMPTY : Buffer.from(b)
    cb()
  }

  /** @override @param {(err?: Error | null) => void} cb */
  _flush(cb) {
    const ok = this.state === 'done' || (this.state === 'trailer' && this.rest.length === 0)
    cb(ok ? null : new Error('incomplete aws-chunked body'))
  }
}
