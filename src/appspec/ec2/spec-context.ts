import * as fs from 'node:fs'
import * as path from 'node:path'
import { DEFAULT_EXCLUDES, excludedBy, type Entry } from '../../source/walk-tree.js'
import type { Block, YamlLines } from '../yaml-lines.js'

/** What every check of appspec.yml shares: its name, the bundle it must match, and how paths in it read. */

export const APPSPEC_NAME = 'appspec.yml'

export type AppSpecOs = 'linux' | 'windows'

/** What the checks of each section share: the text's lines, the bundle, and how to fail. */
export interface SpecContext {
  lines: YamlLines
  os: AppSpecOs
  byPath: Map<string, Entry>
  sourceDir: string
  exclude: readonly string[]
  warnings: string[]
  fail(problem: string, fix: string, at?: Block, input?: string): never
}

/** A path as the agent joins it to the bundle root: leading `/` and `./` dropped, `\` read as `/` on Windows. */
export function bundlePath(written: string, os: AppSpecOs): string {
  const slashed = os === 'windows' ? written.replace(/\\/g, '/') : written
  const normal = path.posix
    .normalize(slashed)
    .replace(/^(\.\/|\/)+/, '')
    .replace(/\/+$/, '')
  return normal === '.' ? '' : normal
}

/** Fails unless `location` is in the bundle (as a `kind`), saying whether it is missing or excluded. */
export function requireInBundle(
  ctx: SpecContext,
  location: string,
  what: string,
  at: Block | undefined,
  kind?: Entry['kind']
): Entry | undefined {
  if (location === '..' || location.startsWith('../')) {
    return ctx.fail(
      `${what} points outside the bundle.`,
      'use a path relative to the bundle root (the directory that holds appspec.yml).',
      at
    )
  }
  if (location === '') return undefined
  const entry = ctx.byPath.get(location)
  if (entry?.kind === 'symlink' && kind) {
    // The agent runs what the link leads to: it must be there, and be a file.
    const leadsTo = linkDestination(ctx, entry)
    if (!leadsTo)
      return ctx.fail(
        `${what} is a symlink that does not lead to a ${kind} in the bundle (it dangles, or what it points to is excluded).`,
        `point the link at a ${kind} in the bundle, or give the ${kind}'s own path as the location.`,
        at
      )
    if (leadsTo.kind !== kind)
      return ctx.fail(
        `${what} is a symlink to a ${leadsTo.kind === 'dir' ? 'directory' : leadsTo.kind}, not a ${kind}.`,
        `point it at a ${kind} in the bundle.`,
        at
      )
    return entry
  }
  if (entry && (!kind || entry.kind === kind || entry.kind === 'symlink')) return entry
  if (entry)
    return ctx.fail(
      `${what} is a ${entry.kind === 'dir' ? 'directory' : entry.kind}, not a ${kind}.`,
      `point it at a ${kind} in the bundle.`,
      at
    )
  const onDisk = fs.existsSync(path.join(ctx.sourceDir, location))
  if (onDisk) {
    const rule = excludedBy(location, ctx.exclude)
    return ctx.fail(
      `${what} is not in the bundle: it is excluded by ${rule ? `'${rule}'` : 'an exclude pattern'}.`,
      exclusionFix(location, rule),
      at,
      'exclude'
    )
  }
  return ctx.fail(
    `${what} is not in the bundle.`,
    `add ${location} to source-dir (and make sure no exclude pattern removes it), or fix the location.`,
    at
  )
}

/** What a symlink in the bundle leads to, every link on the way followed; undefined when that is not in the bundle. */
export function linkDestination(ctx: Pick<SpecContext, 'byPath' | 'sourceDir'>, entry: Entry): Entry | undefined {
  let real: string
  try {
    real = fs.realpathSync(entry.diskPath)
  } catch {
    return undefined
  }
  const rel = path.relative(fs.realpathSync(ctx.sourceDir), real).split(path.sep).join('/')
  return ctx.byPath.get(rel)
}

function exclusionFix(location: string, rule: string | undefined): string {
  if (rule === '.git') return 'move it out of .git/: .git/ is never bundled.'
  if (rule && DEFAULT_EXCLUDES.includes(rule)) return `add '!${rule}' to exclude: ${rule} is left out by default.`
  return `take ${rule ? `'${rule}'` : 'that pattern'} out of exclude, or add '!${location}' after it.`
}
