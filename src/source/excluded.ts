import * as fs from 'node:fs'
import * as path from 'node:path'
import { excludedBy } from './walk-tree.js'

/** A path left out of the bundle and the rule that left it out (`.git`, a default or an exclude pattern). */
export interface Excluded {
  /** From source-dir, '/'-separated; directories end in '/'. */
  path: string
  pattern: string
}

/**
 * What the bundle leaves out, for `command: check`: each excluded file or directory (not what lies
 * under an excluded directory), with the pattern that excluded it, up to `limit` of them.
 */
export function listExcluded(root: string, exclude: readonly string[], limit = 200): { excluded: Excluded[]; more: number } {
  const excluded: Excluded[] = []
  let more = 0
  const walk = (dir: string, relDir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const rel = relDir ? `${relDir}/${name}` : name
      const absolute = path.join(dir, name)
      const directory = fs.lstatSync(absolute).isDirectory()
      const pattern = excludedBy(directory ? `${rel}/` : rel, exclude)
      if (pattern !== undefined) {
        if (excluded.length < limit) excluded.push({ path: directory ? `${rel}/` : rel, pattern })
        else more++
      } else if (directory) {
        walk(absolute, rel)
      }
    }
  }
  walk(fs.realpathSync(root), '')
  return { excluded, more }
}
