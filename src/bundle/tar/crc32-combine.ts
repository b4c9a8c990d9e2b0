/**
 * The CRC-32 of two byte runs joined, from each run's CRC and the second's length (zlib's
 * crc32_combine, which Node does not expose): pieces checksummed on different threads join into
 * the CRC the gzip trailer carries. Kept here rather than shared with zip/: the two writers meet
 * only in src/bundle/*.ts.
 *
 * A CRC is linear over GF(2): appending n zero bytes is a 32x32 bit matrix applied to it, and the
 * matrix for n is built from those for 1, 2, 4, ... zero bits by squaring.
 */
export function crc32Combine(first: number, second: number, secondLength: number): number {
  if (secondLength <= 0) return first >>> 0
  // The operator for one zero bit: shift right, feeding back the reflected polynomial.
  let op = new Uint32Array(32)
  op[0] = 0xedb88320
  for (let bit = 1; bit < 32; bit++) op[bit] = (1 << (bit - 1)) >>> 0
  let next = new Uint32Array(32)
  // Square up to the operator for eight zero bits: one zero byte.
  for (let i = 0; i < 3; i++) {
    square(next, op)
    ;[op, next] = [next, op]
  }
  let crc = first >>> 0
  for (let n = secondLength; ;) {
    if (n % 2 === 1) crc = apply(op, crc)
    n = Math.floor(n / 2)
    if (n === 0) break
    square(next, op)
    ;[op, next] = [next, op]
  }
  return (crc ^ second) >>> 0
}

function apply(matrix: Uint32Array, vector: number): number {
  let sum = 0
  for (let i = 0, v = vector >>> 0; v !== 0; i++, v >>>= 1) {
    if (v & 1) sum ^= matrix[i]!
  }
  return sum >>> 0
}

function square(target: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) target[n] = apply(matrix, matrix[n]!)
}
