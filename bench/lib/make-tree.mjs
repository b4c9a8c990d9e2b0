// @ts-check
// Generates a deploy-like source tree for the packaging benchmark: source text in many small
// files, incompressible assets (images, fonts, archives, random blobs), a few big text files,
// exec scripts, symlinks and a node_modules/ that the bundle leaves out. Written once and reused:
// a marker file next to the tree (not in it) records the spec the tree was made from.
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

const GENERATOR_VERSION = 2

/**
 * @typedef {object} TreeSpec
 * @property {string} name
 * @property {number} files regular files in the whole tree, node_modules/ included
 * @property {number} bytes bytes of those files
 * @property {'app' | 'vendor'} [shape] 'app' (the default): a deploy-like mix; 'vendor': only small
 *   source files, a thousand to a folder, like a PHP vendor/ (many tiny files, nothing else)
 */

/** A fixed-seed PRNG (mulberry32): the same spec gives the same tree layout. @param {number} seed */
function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Source-like text that deflates about 3-4x, like real code and JSON.
 * @param {number} size @param {() => number} rand
 */
function textCorpus(size, rand) {
  /** @type {string[]} */
  const words = []
  for (let i = 0; i < 3000; i++) {
    const length = 2 + Math.floor(rand() * 10)
    let w = ''
    for (let j = 0; j < length; j++) w += String.fromCharCode(97 + Math.floor(rand() * 26))
    words.push(w)
  }
  const glue = [' ', ' ', ' ', '.', '(', ') ', ', ', ' = ', ';\n', '\n  ', ' {\n    ', '\n}\n', ': ', '"']
  /** @type {string[]} */
  const parts = []
  let length = 0
  while (length < size) {
    const piece = rand() < 0.1 ? String(Math.floor(rand() * 100000)) : (words[Math.floor(Math.pow(rand(), 2) * words.length)] ?? '')
    const sep = glue[Math.floor(rand() * glue.length)] ?? ' '
    parts.push(piece, sep)
    length += piece.length + sep.length
  }
  return Buffer.from(parts.join('').slice(0, size))
}

/**
 * Writes the tree under `root` unless a tree of the same spec is already there.
 * @param {string} root
 * @param {TreeSpec} spec
 * @returns {{ root: string, reused: boolean }}
 */
export function ensureTree(root, spec) {
  const wanted = JSON.stringify({ ...spec, version: GENERATOR_VERSION })
  const marker = `${root}.json`
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === wanted) return { root, reused: true }
  fs.rmSync(marker, { force: true })
  fs.rmSync(root, { recursive: true, force: true })
  fs.mkdirSync(root, { recursive: true })
  writeTree(root, spec)
  fs.writeFileSync(marker, wanted)
  return { root, reused: false }
}

/** @param {string} root @param {TreeSpec} spec */
function writeTree(root, spec) {
  if (spec.shape === 'vendor') return writeVendorTree(root, spec)
  const rand = prng(spec.files ^ 0x5eed)
  const corpus = textCorpus(8 << 20, rand)
  /** @param {number} size */
  const text = size => {
    const start = Math.floor(rand() * (corpus.length - size))
    return corpus.subarray(start, start + size)
  }
  /** @param {string} rel @param {string | Buffer} data */
  const put = (rel, data, mode = 0o644) => {
    const file = path.join(root, rel)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, data, { mode })
    fs.chmodSync(file, mode)
  }

  // Shares of the file count and of the bytes.
  const nodeModulesFiles = Math.round(spec.files * 0.18)
  const assetFiles = Math.round(spec.files * 0.095)
  const bigBinFiles = Math.max(2, Math.round(spec.files / 4000))
  const bigTextFiles = Math.max(2, Math.round(spec.files / 4000))
  const scripts = 12
  const sourceFiles = spec.files - nodeModulesFiles - assetFiles - bigBinFiles - bigTextFiles - scripts - 1
  const bytes = {
    nodeModules: spec.bytes * 0.07,
    source: spec.bytes * 0.25,
    assets: spec.bytes * 0.23,
    bigBin: spec.bytes * 0.25,
    bigText: spec.bytes * 0.2
  }
  /** Sizes around `mean` (exponential-ish), so most files are small and a few are larger. */
  /** @param {number} mean */
  const sizeAround = mean => Math.max(1, Math.round(-Math.log(1 - rand() * 0.999) * mean))

  put(
    'appspec.yml',
    [
      'version: 0.0',
      'os: linux',
      'files:',
      '  - source: /',
      '    destination: /srv/app',
      'hooks:',
      '  ApplicationStart:',
      '    - location: scripts/start-0.sh',
      '      timeout: 300',
      ''
    ].join('\n')
  )
  for (let i = 0; i < scripts; i++) put(`scripts/start-${i}.sh`, `#!/bin/sh\nset -eu\nexec node server.js --worker ${i}\n`, 0o755)
  fs.symlinkSync('scripts/start-0.sh', path.join(root, 'start'))
  fs.symlinkSync('../src', path.join(root, 'scripts', 'src'))

  for (let i = 0; i < sourceFiles; i++) {
    const dir = `src/pkg${String(Math.floor(i / 200)).padStart(3, '0')}/mod${String(Math.floor(i / 25) % 8)}`
    const ext = ['js', 'ts', 'json', 'md', 'css', 'html'][i % 6] ?? 'js'
    put(`${dir}/file${String(i).padStart(6, '0')}.${ext}`, text(Math.min(sizeAround(bytes.source / sourceFiles), 4 << 20)))
  }
  const assetExt = ['png', 'jpg', 'woff2', 'gz', 'webp', 'bin']
  for (let i = 0; i < assetFiles; i++) {
    const ext = assetExt[i % assetExt.length] ?? 'bin'
    put(
      `public/assets/a${String(Math.floor(i / 100)).padStart(3, '0')}/asset${String(i).padStart(5, '0')}.${ext}`,
      crypto.randomBytes(Math.min(sizeAround(bytes.assets / assetFiles), 16 << 20))
    )
  }
  for (let i = 0; i < bigBinFiles; i++) {
    put(`data/blob-${i}.dat`, crypto.randomBytes(Math.round(bytes.bigBin / bigBinFiles)))
  }
  for (let i = 0; i < bigTextFiles; i++) {
    const size = Math.round(bytes.bigText / bigTextFiles)
    const chunks = []
    for (let left = size; left > 0; left -= 1 << 20) chunks.push(text(Math.min(left, 1 << 20)))
    put(`data/export-${i}.json`, Buffer.concat(chunks))
  }
  for (let i = 0; i < nodeModulesFiles; i++) {
    put(
      `node_modules/dep${String(Math.floor(i / 40)).padStart(4, '0')}/lib/f${i}.js`,
      text(Math.min(sizeAround(bytes.nodeModules / nodeModulesFiles), 1 << 20))
    )
  }
}

/**
 * Only small files (`bytes / files` each, about 150 bytes for a vendor/), a thousand to a folder:
 * the tree where per-file costs (open, read, close, a header each) are everything.
 * @param {string} root @param {TreeSpec} spec
 */
function writeVendorTree(root, spec) {
  const rand = prng(spec.files ^ 0x7e4d)
  const corpus = textCorpus(1 << 20, rand)
  const mean = spec.bytes / spec.files
  for (let i = 0; i < spec.files; i++) {
    const dir = path.join(root, 'vendor', `package${String(Math.floor(i / 1000)).padStart(2, '0')}`)
    if (i % 1000 === 0) fs.mkdirSync(dir, { recursive: true })
    const size = Math.max(1, Math.round(mean * (0.5 + rand())))
    const start = Math.floor(rand() * (corpus.length - size))
    fs.writeFileSync(path.join(dir, `Class${String(i).padStart(5, '0')}.php`), corpus.subarray(start, start + size))
  }
}
