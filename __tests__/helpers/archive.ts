import { execFileSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { gunzipSync } from 'node:zlib'
import AdmZip from 'adm-zip'

/** Runs a system tool and returns its stdout (throws with its stderr when it fails). */
export function run(command: string, args: string[], env?: NodeJS.ProcessEnv): string {
  return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...(env ? { env: { ...process.env, ...env } } : {}) })
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

/** One line of `unzip -Z -T`: permissions, size, method and timestamp of an entry. */
export interface ZipInfoLine {
  perms: string
  size: number
  method: string
  time: string
  name: string
}

export function zipinfo(file: string): ZipInfoLine[] {
  const out: ZipInfoLine[] = []
  for (const line of run('unzip', ['-Z', '-T', file]).split('\n')) {
    const m = /^([-dl][-rwxsStT]{9})\s+\S+\s+\S+\s+(\d+)\s+\S+\s+(\S+)\s+(\d{8}\.\d{6})\s(.+)$/.exec(line)
    if (m) out.push({ perms: m[1]!, size: Number(m[2]), method: m[3]!, time: m[4]!, name: m[5]! })
  }
  return out
}

/** Every file, directory and link under `root`, as path -> description, for comparing trees. */
export function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (dir: string, rel: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const abs = path.join(dir, name)
      const r = rel ? `${rel}/${name}` : name
      const st = fs.lstatSync(abs)
      if (st.isSymbolicLink()) out[r] = `link -> ${fs.readlinkSync(abs)}`
      else if (st.isDirectory()) {
        out[r] = `dir ${(st.mode & 0o777).toString(8)}`
        walk(abs, r)
      } else out[r] = `file ${(st.mode & 0o777).toString(8)} ${crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`
    }
  }
  walk(root, '')
  return out
}

/** One entry of a bundle, under the name it is stored as. */
export interface ArchiveEntry {
  name: string
  kind: 'file' | 'dir' | 'symlink'
  /** A file's bytes, a link's target; empty for a directory. */
  data: Buffer
}

/**
 * Every entry of a tgz: ustar headers, with PAX `path` / `linkpath` records applied. Read here, not
 * by tar (it strips a leading '/' and '../' from names) or Python's tarfile (it drops a directory's
 * trailing '/'): a test of what a bundle holds must see each name exactly as an extractor is handed it.
 */
function tgzEntries(gz: Buffer): ArchiveEntry[] {
  const tar = gunzipSync(gz)
  const entries: ArchiveEntry[] = []
  const text = (at: number, length: number): string => {
    const raw = tar.subarray(at, at + length)
    const end = raw.indexOf(0)
    return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8')
  }
  let pax: Record<string, string> = {}
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
    const size = parseInt(text(at + 124, 12) || '0', 8)
    const type = text(at + 156, 1)
    const data = tar.subarray(at + 512, at + 512 + size)
    if (type === 'x') {
      // Records are "<length> <key>=<value>\n", the length counting the whole record.
      pax = {}
      for (let pos = 0; pos < data.length;) {
        const space = data.indexOf(0x20, pos)
        const length = Number(data.subarray(pos, space).toString())
        const record = data.subarray(space + 1, pos + length - 1).toString('utf8')
        pax[record.slice(0, record.indexOf('='))] = record.slice(record.indexOf('=') + 1)
        pos += length
      }
    } else {
      const name = pax['path'] ?? (text(at + 345, 155) ? `${text(at + 345, 155)}/${text(at, 100)}` : text(at, 100))
      const kind = type === '5' ? 'dir' : type === '2' ? 'symlink' : 'file'
      entries.push({ name, kind, data: kind === 'symlink' ? Buffer.from(pax['linkpath'] ?? text(at + 157, 100)) : Buffer.from(data) })
      pax = {}
    }
    at += 512 + Math.ceil(size / 512) * 512
  }
  return entries
}

/** Every entry of a zip (read by adm-zip) or a tgz, in the order they are stored, under their names as stored. */
export function archiveEntries(body: Buffer, type: 'zip' | 'tgz'): ArchiveEntry[] {
  if (type === 'zip') {
    return new AdmZip(body).getEntries().map(e => {
      const mode = (e.header.attr >>> 16) & 0o170000
      const kind = e.isDirectory ? 'dir' : mode === 0o120000 ? 'symlink' : 'file'
      return { name: e.rawEntryName.toString('utf8'), kind, data: e.isDirectory ? Buffer.alloc(0) : e.getData() }
    })
  }
  return tgzEntries(body)
}
