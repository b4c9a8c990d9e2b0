/**
 * CRC-32 of two pieces joined, from the CRC of each and the length of the second (zlib's
 * crc32_combine): lets a file's pieces be checksummed in parallel and joined in order.
 */
export function crc32Combine(crc1: number, crc2: number, length2: number): number {
  if (length2 <= 0) return crc1 >>> 0
  // Operators that append one, two, four... zero bits to a CRC, as 32x32 GF(2) matrices.
  let odd = new Uint32Array(32)
  let even = new Uint32Array(32)
  odd[0] = 0xedb88320 // the reflected CRC-32 polynomial
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row >>> 0
  square(even, odd) // two zero bits
  square(odd, even) // four zero bits
  let crc = crc1 >>> 0
  let remaining = length2
  // Append length2 zero bytes to crc1, one bit of the length at a time.
  do {
    square(even, odd)
    if (remaining % 2 === 1) crc = times(even, crc)
    remaining = Math.floor(remaining / 2)
    ;[odd, even] = [even, odd]
  } while (remaining > 0)
  return (crc ^ crc2) >>> 0
}

function times(matrix: Uint32Array, vector: number): number {
  let sum = 0
  for (let i = 0, v = vector >>> 0; v !== 0; i++, v >>>= 1) {
    if (v & 1) sum ^= matrix[i]!
  }
  return sum >>> 0
}

function square(target: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) target[n] = times(matrix, matrix[n]!)
}
