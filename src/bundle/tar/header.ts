import type { Entry } from '../../source/walk-tree.js'

/** Tar's unit: headers are one block, data is padded to whole blocks. */
export const BLOCK = 512
/** The largest value of an 11-digit octal field: sizes of 8 GiB and more need a PAX record. */
const OCTAL_MAX = 0o77777777777
/** Where the checksum field sits; it counts as eight spaces while the sum is taken. */
const CHECKSUM_AT = 148

/** Bytes a field of `length` holds, given `value` as digits and a NUL. */
function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\u0000'
}

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
    t.write(octal(0, 8), 108, 'latin1') // uid
    t.write(octal(0, 8), 116, 'latin1') // gid
    t.write(octal(Math.min(Math.max(0, Math.floor(mtime)), OCTAL_MAX), 12), 136, 'latin1')
    t.fill(0x20, CHECKSUM_AT, CHECKSUM_AT + 8)
    t.write('ustar\u000000', 257, 'latin1')
    t.write('root', 265, 'latin1') // uname
    t.write('root', 297, 'latin1') // gname
    this.sum = t.reduce((a, b) => a + b, 0)
  }

  /** Writes one header into `target` at `at` (512 bytes that must be zero). */
  write(target: Buffer, at: number, h: { name: string; mode: number; size: number; type: string; linkTarget: string }): void {
    this.template.copy(target, at)
    const put = (text: string, offset: number, length: number, encoding: 'utf8' | 'latin1'): number => {
      const n = target.write(text, at + offset, length, encoding)
      let sum = 0
      for (let i = at + offset, end = at + offset + n; i < end; i++) sum += target[i]!
      return sum
    }
    let sum = this.sum
    sum += put(h.name, 0, 100, 'utf8')
    sum += put(octal(h.mode & 0o7777, 8), 100, 8, 'latin1')
    sum += put(octal(h.size > OCTAL_MAX ? 0 : h.size, 12), 124, 12, 'latin1')
    sum += put(h.type, 156, 1, 'latin1')
    sum += put(h.linkTarget, 157, 100, 'utf8')
    target.write(sum.toString(8).padStart(6, '0') + '\u0000 ', at + CHECKSUM_AT, 8, 'latin1')
  }
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
