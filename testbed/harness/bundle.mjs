// @ts-check
// Small helpers to build revision bundles in memory for tests and the demo.
import zlib from 'node:zlib'
import AdmZip from 'adm-zip'

/**
 * @typedef {string | Buffer | { content: string | Buffer, mode?: number }} BundleFile
 * @typedef {Record<string, BundleFile>} BundleFiles path inside the bundle -> content (mode defaults to 0644, or 0755 for *.sh)
 */

/** @param {string} name @param {BundleFile} file */
function entry(name, file) {
  const content = typeof file === 'string' || Buffer.isBuffer(file) ? file : file.content
  const mode =
    typeof file === 'object' && !Buffer.isBuffer(file) && file.mode !== undefined ? file.mode : name.endsWith('.sh') ? 0o755 : 0o644
  return { name, data: Buffer.isBuffer(content) ? content : Buffer.from(content), mode }
}

/** An appspec.yml for EC2/on-premises with one script per named hook (runas root). @param {Record<string, string>} hooks event -> script location */
export function appspecYaml(hooks = {}) {
  const lines = ['version: 0.0', 'os: linux', 'files:', '  - source: /', '    destination: /opt/app']
  if (Object.keys(hooks).length) lines.push('hooks:')
  for (const [event, location] of Object.entries(hooks)) {
    lines.push(`  ${event}:`, `    - location: ${location}`, '      timeout: 300', '      runas: root')
  }
  return lines.join('\n') + '\n'
}

/** @param {BundleFiles} files @returns {Buffer} */
export function makeZip(files) {
  const zip = new AdmZip()
  for (const [name, file] of Object.entries(files)) {
    const e = entry(name, file)
    zip.addFile(e.name, e.data, '', (0o100000 | e.mode) << 16)
  }
  return zip.toBuffer()
}

/** @param {Buffer} h @param {number} offset @param {number} length @param {number} value */
function octal(h, offset, length, value) {
  h.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'latin1')
}

/** A ustar archive (names up to 255 bytes). @param {BundleFiles} files @returns {Buffer} */
export function makeTar(files) {
  /** @type {Buffer[]} */
  const blocks = []
  for (const [name, file] of Object.entries(files)) {
    const e = entry(name, file)
    const h = Buffer.alloc(512)
    let base = e.name
    let prefix = ''
    if (Buffer.byteLength(base) > 100) {
      const cut = base.lastIndexOf('/', 155)
      if (cut < 0 || Buffer.byteLength(base.slice(cut + 1)) > 100) throw new Error(`name too long for ustar: ${name}`)
      prefix = base.slice(0, cut)
      base = base.slice(cut + 1)
    }
    h.write(base, 0, 100, 'utf8')
    octal(h, 100, 8, e.mode)
    octal(h, 108, 8, 0)
    octal(h, 116, 8, 0)
    octal(h, 124, 12, e.data.length)
    octal(h, 136, 12, 1700000000)
    h.fill(' ', 148, 156)
    h.write('0', 156, 1, 'latin1')
    h.write('ustar\0', 257, 6, 'latin1')
    h.write('00', 263, 2, 'latin1')
    h.write(prefix, 345, 155, 'utf8')
    let sum = 0
    for (const b of h) sum += b
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
    blocks.push(h, e.data, Buffer.alloc((512 - (e.data.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

/** @param {BundleFiles} files @returns {Buffer} */
export function makeTgz(files) {
  return zlib.gzipSync(makeTar(files))
}
