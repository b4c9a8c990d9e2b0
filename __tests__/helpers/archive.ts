import { execFileSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

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
