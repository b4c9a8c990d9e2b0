import * as fs from 'node:fs'
import * as path from 'node:path'
import { load } from 'js-yaml'
import { ActionError } from '../../core/errors.js'
import { excludedBy, type Entry } from '../../source/walk-tree.js'
import { isRecord } from '../doc.js'
import { checkFiles, checkPermissions, checkTopLevelKeys } from './sections.js'
import { APPSPEC_NAME, bundlePath, requireInBundle, type AppSpecOs, type SpecContext } from './spec-context.js'
import { YamlLines, type Block } from '../yaml-lines.js'

/** The EC2/on-premises lifecycle hooks a revision may run scripts in. */
const HOOKS = [
  'ApplicationStop',
  'BeforeInstall',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
  'BeforeBlockTraffic',
  'AfterBlockTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic'
]
/** Run by the agent itself; a script cannot be attached to them. */
const RESERVED = new Set(['Start', 'DownloadBundle', 'Install', 'BlockTraffic', 'AllowTraffic', 'End'])
/** The agent's limit for one script, and for all the scripts of one lifecycle event together. */
const MAX_HOOK_TIMEOUT = 3600

export interface HookScript {
  event: string
  location: string
  timeout: number | undefined
  runas: string | undefined
}

export interface AppSpec {
  os: AppSpecOs
  hooks: HookScript[]
  /** Not fatal, but worth a line in the log (e.g. a script without its exec bit). */
  warnings: string[]
}

/**
 * Finds, parses and checks `appspec.yml` against what the bundle will contain, the way the
 * CodeDeploy agent reads it, so that a mistake fails here, before anything is uploaded, rather
 * than on every instance. `exclude` (the input's patterns) only sharpens messages.
 */
export function checkAppSpec(sourceDir: string, entries: readonly Entry[], exclude: readonly string[] = []): AppSpec {
  const byPath = new Map(entries.map(e => [e.path, e]))
  const file = path.join(sourceDir, APPSPEC_NAME)
  const found = byPath.get(APPSPEC_NAME)
  if (!found || found.kind === 'dir') throw missingAppSpec(sourceDir, entries, exclude, found !== undefined)
  const text = fs.readFileSync(file, 'utf8')
  const lines = new YamlLines(text)
  const fail = (problem: string, fix: string, at?: Block, input?: string): never => {
    const line = lines.lineOf(at)
    throw new ActionError(`${APPSPEC_NAME}${line ? ` line ${line}` : ''}: ${problem}`, input ? { fix, input } : { fix })
  }

  let doc: unknown
  try {
    doc = load(text, { filename: APPSPEC_NAME })
  } catch (error) {
    const mark = (error as { mark?: { line?: number } }).mark
    const reason = (error as { reason?: string }).reason ?? String(error)
    throw new ActionError(`${APPSPEC_NAME}${mark?.line !== undefined ? ` line ${mark.line + 1}` : ''} is not valid YAML: ${reason}.`, {
      fix: 'fix the YAML syntax (indent with spaces, not tabs; quote values that contain ": ").'
    })
  }
  if (!isRecord(doc)) return fail('is not a YAML mapping.', 'start it with `version: 0.0` and `os: linux`.')
  const root = lines.root

  const version = doc['version']
  if (version === '0.0') {
    fail(
      'version is the string "0.0"; the CodeDeploy agent compares it with the number 0.0 and fails the deployment.',
      'write `version: 0.0`, without quotes.',
      lines.key(root, 'version')
    )
  }
  if (version !== 0) {
    fail(
      `version is ${JSON.stringify(version ?? null)}; CodeDeploy only reads version 0.0.`,
      'write `version: 0.0`.',
      lines.key(root, 'version')
    )
  }
  const os = doc['os']
  if (os !== 'linux' && os !== 'windows') {
    return fail(`os is ${JSON.stringify(os ?? null)}.`, 'write `os: linux` or `os: windows`.', lines.key(root, 'os'))
  }
  const warnings: string[] = []
  if (byPath.get('appspec.yaml')?.kind === 'file')
    warnings.push(
      `appspec.yaml is bundled too, but the CodeDeploy agent only reads ${APPSPEC_NAME}: delete appspec.yaml to avoid confusion.`
    )
  const ctx: SpecContext = { lines, os, byPath, sourceDir, exclude, warnings, fail }
  checkTopLevelKeys(ctx, doc)
  checkFiles(ctx, doc['files'], lines.key(root, 'files'))
  checkPermissions(ctx, doc['permissions'], lines.key(root, 'permissions'))
  const hooks = readHooks(ctx, doc['hooks'], lines.key(root, 'hooks'))
  if (os === 'linux') {
    for (const hook of hooks) {
      const entry = byPath.get(hook.location)
      if (entry?.kind === 'file' && (entry.mode & 0o111) === 0) {
        warnings.push(
          `${hook.location} (${hook.event} hook) is not executable: run \`git update-index --chmod=+x ${hook.location}\` and commit, or ` +
            `the agent has to fix it on every instance.`
        )
      }
    }
  }
  return { os, hooks, warnings }
}

function readHooks(ctx: SpecContext, value: unknown, at: Block | undefined): HookScript[] {
  const { lines, fail } = ctx
  if (value === undefined || value === null) return []
  if (!isRecord(value))
    return fail('hooks must be a mapping of lifecycle event names to script lists.', 'see the AppSpec "hooks" section.', at)
  const block = at ?? lines.root
  const scripts: HookScript[] = []
  for (const [event, list] of Object.entries(value)) {
    const eventAt = lines.key(block, event) ?? at
    if (RESERVED.has(event))
      fail(
        `${event} is run by the CodeDeploy agent itself; scripts cannot be attached to it.`,
        'move its scripts to BeforeInstall or AfterInstall.',
        eventAt
      )
    if (!HOOKS.includes(event)) fail(`'${event}' is not an EC2/on-premises lifecycle event.`, `use one of: ${HOOKS.join(', ')}.`, eventAt)
    if (list === null || list === undefined) continue
    if (!Array.isArray(list))
      fail(`${event} must be a list of scripts ("- location: ...").`, 'start each script with "- location:".', eventAt)
    const items = eventAt ? lines.items(eventAt) : []
    let total = 0
    ;(list as unknown[]).forEach((item, index) => {
      const itemAt = items[index] ?? eventAt
      const keyAt = (key: string): Block | undefined => (itemAt ? lines.key(itemAt, key) : undefined) ?? itemAt
      if (!isRecord(item) || typeof item['location'] !== 'string' || item['location'].trim() === '') {
        fail(`a script under ${event} has no location.`, 'give each script a `location:` relative to the bundle root.', itemAt)
      }
      const script = item as Record<string, unknown>
      const written = (script['location'] as string).trim()
      const location = bundlePath(written, ctx.os)
      const timeout = readTimeout(script['timeout'])
      if (timeout === null) {
        fail(
          `timeout ${JSON.stringify(script['timeout'])} of ${location} is not a whole number of seconds from 1 to ${MAX_HOOK_TIMEOUT}.`,
          `use at most ${MAX_HOOK_TIMEOUT}; split longer work across hooks.`,
          keyAt('timeout')
        )
      }
      total += timeout ?? 0
      const runas = script['runas']
      if (runas !== undefined && runas !== null && ctx.os === 'windows')
        fail(`runas (on ${location}) is not supported on Windows.`, 'remove runas.', keyAt('runas'))
      if (runas !== undefined && runas !== null && (typeof runas !== 'string' || runas.trim() === ''))
        fail(`runas of ${location} must be a user name.`, 'write e.g. `runas: root`, or remove it.', keyAt('runas'))
      requireInBundle(ctx, location, `${event} script '${location}'`, keyAt('location'), 'file')
      scripts.push({ event, location, timeout: timeout ?? undefined, runas: typeof runas === 'string' ? runas.trim() : undefined })
    })
    if (total > MAX_HOOK_TIMEOUT && (list as unknown[]).length > 1) {
      ctx.warnings.push(
        `${APPSPEC_NAME}${lines.lineOf(eventAt) ? ` line ${lines.lineOf(eventAt)}` : ''}: the ${event} scripts' timeouts ` +
          `add up to ${total} s, but the agent stops a lifecycle event after ${MAX_HOOK_TIMEOUT} s.`
      )
    }
  }
  return scripts
}

/** A timeout as the agent reads it (a number, or digits), undefined when absent, null when invalid. */
function readTimeout(value: unknown): number | undefined | null {
  if (value === undefined || value === null) return undefined
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_HOOK_TIMEOUT ? n : null
}

function missingAppSpec(sourceDir: string, entries: readonly Entry[], exclude: readonly string[], isDirectory: boolean): ActionError {
  if (isDirectory) {
    return new ActionError(`${APPSPEC_NAME} at the root of ${sourceDir} is a directory.`, {
      input: 'source-dir',
      fix: `make ${APPSPEC_NAME} the AppSpec file itself.`
    })
  }
  if (fs.existsSync(path.join(sourceDir, APPSPEC_NAME))) {
    const rule = excludedBy(APPSPEC_NAME, exclude)
    return new ActionError(`${APPSPEC_NAME} is excluded from the bundle${rule ? ` by '${rule}'` : ''}.`, {
      input: 'exclude',
      fix: `remove the pattern that matches ${APPSPEC_NAME}.`
    })
  }
  if (entries.some(e => e.path === 'appspec.yaml')) {
    return new ActionError(
      `Found appspec.yaml at the root of ${sourceDir}, but CodeDeploy only reads ${APPSPEC_NAME} for EC2/on-premises deployments.`,
      {
        fix: `rename appspec.yaml to ${APPSPEC_NAME} (for an ECS or Lambda application, set the appspec input to its path instead).`
      }
    )
  }
  const nested = entries.find(e => e.path.endsWith(`/${APPSPEC_NAME}`))
  if (nested) {
    const dir = nested.path.slice(0, -APPSPEC_NAME.length - 1)
    return new ActionError(`${APPSPEC_NAME} is not at the root of ${sourceDir}; found ${nested.path}.`, {
      input: 'source-dir',
      fix: `set source-dir to the directory that holds it (source-dir: ${dir}), or move it to the root.`
    })
  }
  return new ActionError(`no ${APPSPEC_NAME} at the root of ${sourceDir}.`, {
    input: 'source-dir',
    fix:
      `add ${APPSPEC_NAME} (version: 0.0, os: linux, files, hooks) at the root of the bundled directory, or point source-dir at the ` +
      `directory that has it.`
  })
}
