// @ts-check
// A minimal streaming tar reader: ustar, GNU long names ('L') and pax 'path' records.

/** A bundle entry name as the agent sees it: no leading './' or '/', no trailing '/'. @param {string} name */
export function normalizeEntry(name) {
  let n = name.replace(/\\/g, '/')
  while (n.startsWith('./') || n.startsWith('/')) n = n.startsWith('./') ? n.slice(2) : n.slice(1)
  return n.replace(/\/+$/, '')
}

/** @param {Buffer} b @param {number} start @param {number} length */
function field(b, start, length) {
  const s = b.subarray(start, start + length)
  const nul = s.indexOf(0)
  return (nul < 0 ? s : s.subarray(0, nul)).toString('utf8')
}

/** @param {Buffer} b @param {number} start @param {number} length */
function numeric(b, start, length) {
  const first = /** @type {number} */ (b[start])
  if ((first & 0x80) !== 0) {
    let v = 0n
    for (let i = start + 1; i < start + length; i++) v = (v << 8n) | BigInt(/** @type {number} */ (b[i]))
    return Number(v)
  }
  const text = field(b, start, length).trim()
  return text ? parseInt(text, 8) : 0
}

/**
 * @param {NodeJS.ReadableStream} stream decoded tar bytes
 * @param {string[]} wanted
 * @param {import('node:fs').ReadStream} source closed early when the end-of-archive marker is reached
 * @returns {Promise<import('./archive.mjs').ArchiveIndex>}
 */
export async function readTar(stream, wanted, source) {
  /** @type {Set<string>} */
  const files = new Set()
  /** @type {Map<string, Buffer>} */
  const contents = new Map()
  const want = new Set(wanted)
  /** @type {Buffer} */
  let buf = Buffer.alloc(0)
  let left = 0 // data bytes still to consume for the current entry
  let pad = 0 // padding after it
  /** @type {Buffer[] | null} */
  let collect = null
  /** @type {(data: Buffer) => void} */
  let onData = () => {}
  /** @type {string | null} */
  let nextName = null
  let ended = false
  try {
    for await (const chunk of stream) {
      buf = buf.length ? Buffer.concat([buf, /** @type {Buffer} */ (chunk)]) : /** @type {Buffer} */ (chunk)
      while (!ended) {
        if (left > 0) {
          const n = Math.min(left, buf.length)
          if (n === 0) break
          collect?.push(buf.subarray(0, n))
          buf = buf.subarray(n)
          left -= n
          if (left === 0 && collect) {
            onData(Buffer.concat(collect))
            collect = null
          }
          continue
        }
        if (pad > 0) {
          const n = Math.min(pad, buf.length)
          if (n === 0) break
          buf = buf.subarray(n)
          pad -= n
          continue
        }
        if (buf.length < 512) break
        const h = buf.subarray(0, 512)
        buf = buf.subarray(512)
        if (h.every(x => x === 0)) {
          ended = true
          break
        }
        let sum = 0
        for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : /** @type {number} */ (h[i])
        if (sum !== numeric(h, 148, 8)) throw new Error('Invalid tar header checksum: not a tar archive, or a corrupt one')
        const size = numeric(h, 124, 12)
        const type = String.fromCharCode(/** @type {number} */ (h[156]))
        const prefix = field(h, 257, 6).startsWith('ustar') ? field(h, 345, 155) : ''
        const name = nextName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100))
        nextName = null
        left = size
        pad = (512 - (size % 512)) % 512
        if (type === 'L' || type === 'x') {
          collect = []
          onData = type === 'L' ? d => (nextName = field(d, 0, d.length)) : d => (nextName = paxPath(d))
        } else if (type === '0' || type === '\0' || type === '7' || type === '1' || type === '2') {
          const entry = normalizeEntry(name)
          if (entry) files.add(entry)
          if (want.has(entry)) {
            collect = []
            onData = d => contents.set(entry, d)
          }
        }
        if (left === 0 && collect) {
          onData(Buffer.alloc(0))
          collect = null
        }
      }
      if (ended) break
    }
    if (!ended && (buf.length > 0 || left > 0)) throw new Error('Unexpected end of data: not a tar archive, or a truncated one')
  } finally {
    source.destroy()
  }
  return { files, contents }
}

/** @param {Buffer} data a pax extended header @returns {string | null} */
function paxPath(data) {
  const text = data.toString('utf8')
  for (const record of text.split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(record)
    if (m) return m[1] ?? null
  }
  return null
}
