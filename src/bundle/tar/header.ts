import type { Entry } from '../../source/walk-tree.js'

/** Tar's unit: headers are one block, data is padded to whole blocks. */
export const BLOCK = 512
/** The largest value of an 11-digit octal field: sizes of 8 GiB and more need a PAX record. */
const OCTAL_MAX = 0o77777777777
/** Where the checksum field sits; it counts as eight spaces while the sum is taken. */
const CHECKSUM_AT = 148

/**
 * The parts of a ustar header that are the same for every entry of one archive (owner root,
 * the commit's time, the magic), and their byte sum, so each header costs one copy, a few
 * fields and a sum over those fields only.
 */
export class HeaderTemplate {
  private readonly template = Buffer.alloc(BLOCK)
  private readonly sum: number

  /** `mtime`: seconds since 1970 UTC, as tar stores it whatever the reader's time zone. */
  constructor(mtime: number) {
    const t = this.template
    putOctal(t, 108, 0, 7) // uid
    putOctal(t, 116, 0, 7) // gid
    putOctal(t, 136, Math.min(Math.max(0, Math.floor(mtime)), OCTAL_MAX), 11)
    t.fill(0x20, CHECKSUM_AT, CHECKSUM_AT + 8)
    t.write('ustar\u000000', 257, 'latin1')
    t.write('root', 265, 'latin1') // uname
    t.write('root', 297, 'latin1') // gname
    this.sum = t.reduce((a, b) => a + b, 0)
  }

  /** Writes one header into `target` at `at` (512 bytes). */
  write(target: Buffer, at: number, h: { name: string; mode: number; size: number; type: string; linkTarget: string }): void {
    // TypedArray set, not Buffer copy: the copy's argument checks cost more than its 512 bytes, 70,000 times over.
    target.set(this.template, at)
    let sum = this.sum
    sum += putText(target, at, h.name, 100)
    sum += putOctal(target, at + 100, h.mode & 0o7777, 7)
    sum += putOctal(target, at + 124, h.size > OCTAL_MAX ? 0 : h.size, 11)
    sum += putText(target, at + 156, h.type, 1)
    sum += putText(target, at + 157, h.linkTarget, 100)
    putOctal(target, at + CHECKSUM_AT, sum, 6)
    target[at + CHECKSUM_AT + 7] = 0x20
  }
}

/**
 * Writes `text` as UTF-8 into a zeroed field of `length` bytes (cut at a character) and returns
 * the sum of the bytes written. Per-byte for ASCII: most names are, and a header costs a
 * fraction of a microsecond that way, against several for Buffer.write.
 */
function putText(target: Buffer, at: number, text: string, length: number): number {
  let sum = 0
  if (text.length <= length) {
    let i = 0
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c >= 0x80) break
      target[at + i] = c
      sum += c
    }
    if (i === text.length) return sum
  }
  target.fill(0, at, at + length)
  const n = target.write(text, at, length, 'utf8')
  sum = 0
  for (let i = at; i < at + n; i++) sum += target[i]!
  return sum
}

/** `digits` octal digits of `value` (zero-padded) and a NUL; returns the sum of the bytes written. */
function putOctal(target: Buffer, at: number, value: number, digits: number): number {
  let sum = 0
  // Integer shifts while the value fits 32 bits (every mode, checksum and size under 4 GiB).
  for (let i = digits - 1; i >= 0; i--) {
    const small = value <= 0xffffffff
    const digit = 0x30 + (small ? value & 7 : value % 8)
    target[at + i] = digit
    sum += digit
    value = small ? value >>> 3 : Math.floor(value / 8)
  }
  target[at + digits] = 0
  return sum
}

/** The name tar stores: a directory's ends with a slash. */
function nameOf(entry: Entry): string {
  return entry.kind === 'dir' ? `${entry.path}/` : entry.path
}

function linkOf(entry: Entry): string {
  return entry.kind === 'symlink' ? (entry.linkTarget ?? '') : ''
}

function sizeOf(entry: Entry): number {
  return entry.kind === 'file' ? entry.size : 0
}

/** The PAX records an entry needs (a name or link past 100 bytes, a size past 8 GiB), or undefined. */
function paxRecords(entry: Entry): Buffer | undefined {
  const name = nameOf(entry)
  const link = linkOf(entry)
  const size = sizeOf(entry)
  if (name.length <= 100 / 3 && link.length <= 100 / 3 && size <= OCTAL_MAX) return undefined // fast path: fits whatever the encoding
  const fields: Array<[string, string]> = []
  if (Buffer.byteLength(name) > 100) fields.push(['path', name])
  if (Buffer.byteLength(link) > 100) fields.push(['linkpath', link])
  if (size > OCTAL_MAX) fields.push(['size', String(size)])
  if (fields.length === 0) return undefined
  return Buffer.concat(
    fields.map(([key, value]) => {
      const text = ` ${key}=${value}\n`
      // The length at the front counts its own digits.
      let length = Buffer.byteLength(text) + 1
      while (String(length).length + Buffer.byteLength(text) !== length) length++
      return Buffer.from(`${length}${text}`, 'utf8')
    })
  )
}

/** Rounds up to whole blocks. */
export function padded(length: number): number {
  return Math.ceil(length / BLOCK) * BLOCK
}

/** Bytes of the stream before an entry's data: its PAX header and records when it has any, then its header. */
export function headLength(entry: Entry): number {
  const pax = paxRecords(entry)
  return pax ? BLOCK + padded(pax.length) + BLOCK : BLOCK
}

/** The bytes `headLength` counted, written at `at` into zeroed `target`. */
export function writeHead(template: HeaderTemplate, entry: Entry, target: Buffer, at: number): void {
  const name = nameOf(entry)
  const linkTarget = linkOf(entry)
  const pax = paxRecords(entry)
  if (pax) {
    template.write(target, at, { name: 'PaxHeader', mode: 0o644, size: pax.length, type: 'x', linkTarget: '' })
    pax.copy(target, at + BLOCK)
    at += BLOCK + padded(pax.length)
  }
  const type = entry.kind === 'dir' ? '5' : entry.kind === 'symlink' ? '2' : '0'
  template.write(target, at, { name, mode: entry.mode, size: sizeOf(entry), type, linkTarget })
}
