import * as path from 'node:path'
import { isRecord } from '../doc.js'
import { APPSPEC_NAME, bundlePath, requireInBundle, type SpecContext } from './spec-context.js'
import type { Block } from '../yaml-lines.js'

const TOP_LEVEL = ['version', 'os', 'files', 'permissions', 'hooks', 'file_exists_behavior']
const FILE_KEYS = ['source', 'destination']
const PERMISSION_KEYS = ['object', 'pattern', 'except', 'owner', 'group', 'mode', 'acls', 'context', 'type']
const FILE_EXISTS_BEHAVIORS = ['DISALLOW', 'OVERWRITE', 'RETAIN']

/** Keys the agent does not know are ignored by it, silently: a typo would go unnoticed. */
export function checkTopLevelKeys(ctx: SpecContext, doc: Record<string, unknown>): void {
  warnUnknownKeys(ctx, doc, TOP_LEVEL, ctx.lines.root, 'an AppSpec key for EC2/on-premises deployments')
  const behavior = doc['file_exists_behavior']
  if (behavior !== undefined && behavior !== null && !FILE_EXISTS_BEHAVIORS.includes(String(behavior))) {
    ctx.fail(
      `file_exists_behavior is ${JSON.stringify(behavior)}.`,
      `use one of: ${FILE_EXISTS_BEHAVIORS.join(', ')}.`,
      ctx.lines.key(ctx.lines.root, 'file_exists_behavior')
    )
  }
}

/** `files`: each entry copies a `source` from the bundle to an absolute `destination` on the instance. */
export function checkFiles(ctx: SpecContext, value: unknown, at: Block | undefined): void {
  if (value === undefined || value === null) return
  const { lines, fail } = ctx
  if (!Array.isArray(value))
    fail('files must be a list of `- source: ...` / `destination: ...` pairs.', 'see the AppSpec "files" section.', at)
  const items = at ? lines.items(at) : []
  ;(value as unknown[]).forEach((item, index) => {
    const itemAt = items[index] ?? at
    const keyAt = (key: string): Block | undefined => (itemAt ? lines.key(itemAt, key) : undefined) ?? itemAt
    if (!isRecord(item))
      return fail(
        'each files entry must be a mapping with source and destination.',
        'write `- source: /` and `destination: /path/on/instance`.',
        itemAt
      )
    warnUnknownKeys(ctx, item, FILE_KEYS, itemAt, 'a files key')
    const source = item['source']
    const destination = item['destination']
    if (typeof source !== 'string' || source.trim() === '') {
      fail('a files entry has no source.', 'add `source:` with a path relative to the bundle root (`/` for everything).', itemAt)
    }
    const written = (source as string).trim()
    if (typeof destination !== 'string' || destination.trim() === '') {
      fail(
        `files entry '${written}' has no destination.`,
        'add `destination:` with the absolute path to install it to on the instance.',
        itemAt
      )
    }
    const sourcePath = bundlePath(written, ctx.os)
    requireInBundle(ctx, sourcePath, `files source '${written}'`, keyAt('source'))
    warnLinksLeaving(ctx, sourcePath, written)
    const target = (destination as string).trim()
    const absolute = ctx.os === 'windows' ? /^([A-Za-z]:[\\/]|\\\\)/.test(target) : target.startsWith('/')
    if (!absolute) {
      fail(
        `files destination '${target}' is not an absolute path on the instance.`,
        ctx.os === 'windows' ? 'write a full path such as C:\\inetpub\\app.' : 'write a full path such as /var/www/app.',
        keyAt('destination')
      )
    }
  })
}

/**
 * A symlink under a files source that points elsewhere in the bundle (never outside it: the walk
 * refuses that) is installed as a link to a place this mapping does not fill.
 */
function warnLinksLeaving(ctx: SpecContext, sourcePath: string, written: string): void {
  if (sourcePath === '') return
  const inside = (p: string): boolean => p === sourcePath || p.startsWith(`${sourcePath}/`)
  for (const entry of ctx.byPath.values()) {
    if (entry.kind !== 'symlink' || entry.linkTarget === undefined || !entry.path.startsWith(`${sourcePath}/`)) continue
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(entry.path), entry.linkTarget))
    if (inside(target)) continue
    ctx.warnings.push(
      `${entry.path} is a symlink to ${entry.linkTarget}, outside files source '${written}': on the instance the link points ` +
        `outside what this mapping installs, where ${target} may not be. Copy the file into ${sourcePath}/, or map the whole bundle.`
    )
  }
}

/** `permissions` (Linux only): the shape the agent accepts, checked here instead of on every instance. */
export function checkPermissions(ctx: SpecContext, value: unknown, at: Block | undefined): void {
  if (value === undefined || value === null) return
  const { lines, fail } = ctx
  if (ctx.os === 'windows')
    fail(
      'permissions only apply to Linux instances; the agent fails a Windows deployment that has them.',
      'remove the permissions section, or set os: linux.',
      at
    )
  if (!Array.isArray(value)) fail('permissions must be a list of `- object: ...` entries.', 'see the AppSpec "permissions" section.', at)
  const items = at ? lines.items(at) : []
  ;(value as unknown[]).forEach((item, index) => {
    const itemAt = items[index] ?? at
    const keyAt = (key: string): Block | undefined => (itemAt ? lines.key(itemAt, key) : undefined) ?? itemAt
    if (!isRecord(item))
      return fail('each permissions entry must be a mapping that starts with object.', 'write `- object: /path/on/instance`.', itemAt)
    warnUnknownKeys(ctx, item, PERMISSION_KEYS, itemAt, 'a permissions key')
    const object = item['object']
    if (typeof object !== 'string' || object.trim() === '')
      return fail('a permissions entry has no object.', 'add `object:` with the installed path it applies to.', itemAt)
    const name = `permissions for '${object.trim()}'`
    if (!object.trim().startsWith('/'))
      fail(
        `${name}: object is not an absolute path on the instance.`,
        'use the installed path, e.g. the destination of a files entry.',
        keyAt('object')
      )
    const pattern = item['pattern']
    if (pattern !== undefined && pattern !== null && (typeof pattern !== 'string' || pattern.trim() === ''))
      fail(`${name}: pattern must be a glob string.`, 'quote it, e.g. pattern: "*.sh".', keyAt('pattern'))
    for (const key of ['owner', 'group']) {
      const v = item[key]
      const ok = (typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isInteger(v) && v >= 0)
      if (v !== undefined && v !== null && !ok)
        fail(`${name}: ${key} must be a ${key === 'owner' ? 'user' : 'group'} name or id.`, `write e.g. ${key}: www-data.`, keyAt(key))
    }
    checkStringList(ctx, item['except'], `${name}: except`, keyAt('except'), 'write a list, e.g. except: [secret.txt].')
    const types = item['type']
    if (types !== undefined && types !== null) {
      const ok = Array.isArray(types) && types.every(t => t === 'file' || t === 'directory')
      if (!ok) fail(`${name}: type must be a list of file and/or directory.`, 'write e.g. `type:` then `- file`.', keyAt('type'))
    }
    checkMode(ctx, item['mode'], name, keyAt('mode'))
    checkStringList(ctx, item['acls'], `${name}: acls`, keyAt('acls'), 'write a list of entries such as u:www-data:rwx.')
    for (const ace of Array.isArray(item['acls']) ? (item['acls'] as string[]) : []) {
      const problem = aceProblem(ace)
      if (problem)
        fail(
          `${name}: acl entry '${ace}' ${problem}.`,
          'write [d[efault]:][u[ser]|g[roup]|m[ask]|o[ther]:][name]:perms, e.g. u:www-data:rwx; set the base entries with mode.',
          keyAt('acls')
        )
    }
    checkContext(ctx, item['context'], name, keyAt('context'))
  })
}

function checkMode(ctx: SpecContext, mode: unknown, name: string, at: Block | undefined): void {
  if (mode === undefined || mode === null) return
  const text = String(mode)
  if ((typeof mode !== 'string' && typeof mode !== 'number') || !/^[0-7]{1,4}$/.test(text)) {
    ctx.fail(
      `${name}: mode ${JSON.stringify(mode)} is not 1 to 4 octal digits.`,
      'write a chmod number such as 755 or "0644" (symbols like u+x are not supported).',
      at
    )
  }
  // The agent's YAML reader (YAML 1.1) takes an unquoted 0644 as octal: it would apply 420.
  const raw = ctx.lines.valueText(at)
  if (raw !== undefined && /^0[0-7]+$/.test(raw)) {
    ctx.fail(
      `${name}: mode ${raw} is not quoted; the agent reads a leading 0 as octal and would apply mode ${parseInt(raw, 8)}.`,
      `write mode: "${raw}" or mode: ${raw.replace(/^0+(?=\d{3})/, '')}.`,
      at
    )
  }
}

function checkContext(ctx: SpecContext, context: unknown, name: string, at: Block | undefined): void {
  if (context === undefined || context === null) return
  if (!isRecord(context) || typeof context['type'] !== 'string' || context['type'].trim() === '') {
    ctx.fail(`${name}: context needs a type (an SELinux type such as httpd_sys_content_t).`, 'add `type:` under context.', at)
  }
  const range = (context as Record<string, unknown>)['range']
  if (range !== undefined && range !== null && !/^s\d+(-s\d+)?(:c\d+(\.c\d+)?(,c\d+(\.c\d+)?)*)?$/.test(String(range))) {
    ctx.fail(
      `${name}: context range '${String(range)}' is not an SELinux range.`,
      'write s<n>[-s<n>][:c<n>[.c<n>],...], e.g. s0-s0:c0.c1023.',
      at
    )
  }
}

function checkStringList(ctx: SpecContext, value: unknown, what: string, at: Block | undefined, fix: string): void {
  if (value === undefined || value === null) return
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string' && v !== '')) ctx.fail(`${what} must be a list of strings.`, fix, at)
}

/** Why the agent would refuse an ACL entry (its AceInfo rules), or undefined when it accepts it. */
function aceProblem(ace: string): string | undefined {
  const parts = ace.split(':').reverse()
  if (parts.length < 2 || parts.length > 4) return 'needs 2 to 4 parts separated by colons'
  let isDefault = parts.length === 4
  if (isDefault && !['d', 'default'].includes(parts[3]!)) return `starts with '${parts[3]}' where only d or default may stand`
  const types: Record<string, string> = {
    u: 'user',
    user: 'user',
    g: 'group',
    group: 'group',
    m: 'mask',
    mask: 'mask',
    o: 'other',
    other: 'other'
  }
  let type: string | undefined
  if (parts.length >= 3) {
    if (['d', 'default'].includes(parts[2]!)) {
      if (isDefault) return 'says default twice'
      isDefault = true
    } else if (types[parts[2]!]) type = types[parts[2]!]
    else return `has an unknown type '${parts[2]}'`
  }
  let named = false
  if (['m', 'mask', 'o', 'other'].includes(parts[1]!) && type === undefined) type = types[parts[1]!]
  else named = parts[1] !== ''
  type ??= 'user'
  if ((type === 'mask' || type === 'other') && named) return `names someone, which a ${type} entry cannot`
  if (!isDefault && type !== 'mask' && !named) return 'sets a base entry, which the agent takes from mode'
  if (!/^([0-7]|[rwx-]*)$/.test(parts[0]!)) return `has permissions '${parts[0]}' (use r, w, x and -, or one octal digit)`
  return undefined
}

function warnUnknownKeys(
  ctx: SpecContext,
  map: Record<string, unknown>,
  known: readonly string[],
  at: Block | undefined,
  what: string
): void {
  for (const key of Object.keys(map)) {
    if (known.includes(key)) continue
    const close = known.find(k => editDistance(k, key.toLowerCase()) <= 2)
    const line = ctx.lines.lineOf((at ? ctx.lines.key(at, key) : undefined) ?? at)
    ctx.warnings.push(
      `${APPSPEC_NAME}${line ? ` line ${line}` : ''}: '${key}' is not ${what}; the CodeDeploy agent ` +
        `ignores it${close ? ` (did you mean '${close}'?)` : ''}.`
    )
  }
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}
