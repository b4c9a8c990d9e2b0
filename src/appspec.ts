import * as fs from 'node:fs'
import * as path from 'node:path'
import { load } from 'js-yaml'
import type { Entry } from './collect.js'
import { ActionError } from './errors.js'

export const APPSPEC_NAME = 'appspec.yml'

/** The EC2/on-premises lifecycle hooks a revision may run scripts in. */
const HOOKS = new Set([
  'ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService',
  'BeforeBlockTraffic', 'AfterBlockTraffic', 'BeforeAllowTraffic', 'AfterAllowTraffic'
])
/** Run by the agent itself; a script cannot be attached to them. */
const RESERVED = new Set(['DownloadBundle', 'Install', 'BlockTraffic', 'AllowTraffic'])
const MAX_HOOK_TIMEOUT = 3600

export interface HookScript {
  event: string
  location: string
  timeout: number | undefined
  runas: string | undefined
}

export interface AppSpec {
  os: 'linux' | 'windows'
  hooks: HookScript[]
  /** Not fatal, but worth a line in the log (e.g. a script without its exec bit). */
  warnings: string[]
}

/** Finds, parses and checks `appspec.yml` against what the bundle will contain. */
export function checkAppSpec(sourceDir: string, entries: readonly Entry[]): AppSpec {
  const byPath = new Map(entries.map(e => [e.path, e]))
  const file = path.join(sourceDir, APPSPEC_NAME)
  if (!byPath.has(APPSPEC_NAME)) throw missingAppSpec(sourceDir, entries, fs.existsSync(file))
  const text = fs.readFileSync(file, 'utf8')
  const fail = (problem: string, fix: string, needle?: string): never => {
    const line = needle === undefined ? undefined : lineOf(text, needle)
    throw new ActionError(`${APPSPEC_NAME}${line ? ` line ${line}` : ''}: ${problem}`, { fix })
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
  if (!isRecord(doc)) fail('is not a YAML mapping.', 'start it with `version: 0.0` and `os: linux`.')
  const spec = doc as Record<string, unknown>

  if (spec['version'] !== 0 && spec['version'] !== '0.0') {
    fail(`version is ${JSON.stringify(spec['version'] ?? null)}; CodeDeploy only reads version 0.0.`, 'write `version: 0.0`.', 'version')
  }
  const os = spec['os']
  if (os !== 'linux' && os !== 'windows') {
    fail(`os is ${JSON.stringify(os ?? null)}.`, 'write `os: linux` or `os: windows`.', 'os')
  }
  const hooks = readHooks(spec['hooks'], os as 'linux' | 'windows', byPath, fail)
  const warnings: string[] = []
  if (os === 'linux') {
    for (const hook of hooks) {
      const entry = byPath.get(hook.location)
      if (entry?.kind === 'file' && (entry.mode & 0o111) === 0) {
        warnings.push(`${hook.location} (${hook.event} hook) is not executable: run \`git update-index --chmod=+x ${hook.location}\` and commit, or the agent has to fix it on every instance.`)
      }
    }
  }
  return { os: os as 'linux' | 'windows', hooks, warnings }
}

type Fail = (problem: string, fix: string, needle?: string) => never

function readHooks(value: unknown, os: 'linux' | 'windows', byPath: Map<string, Entry>, fail: Fail): HookScript[] {
  if (value === undefined || value === null) return []
  if (!isRecord(value)) return fail('hooks must be a mapping of lifecycle event names to script lists.', 'see the AppSpec "hooks" section.', 'hooks')
  const scripts: HookScript[] = []
  for (const [event, list] of Object.entries(value)) {
    if (RESERVED.has(event)) fail(`${event} is run by the CodeDeploy agent itself; scripts cannot be attached to it.`, `move its scripts to BeforeInstall or AfterInstall.`, `${event}:`)
    if (!HOOKS.has(event)) fail(`'${event}' is not an EC2/on-premises lifecycle event.`, `use one of: ${[...HOOKS].join(', ')}.`, `${event}:`)
    if (list === null || list === undefined) continue
    if (!Array.isArray(list)) fail(`${event} must be a list of scripts ("- location: ...").`, 'start each script with "- location:".', `${event}:`)
    for (const item of list as unknown[]) {
      if (!isRecord(item) || typeof item['location'] !== 'string' || item['location'] === '') {
        fail(`a script under ${event} has no location.`, 'give each script a `location:` relative to the bundle root.', `${event}:`)
      }
      const script = item as Record<string, unknown>
      const location = (script['location'] as string).replace(/^\/+/, '')
      const timeout = script['timeout']
      if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > MAX_HOOK_TIMEOUT)) {
        fail(`timeout ${JSON.stringify(timeout)} of ${location} is not a whole number of seconds from 1 to ${MAX_HOOK_TIMEOUT}.`, `use at most ${MAX_HOOK_TIMEOUT}; split longer work across hooks.`, 'timeout')
      }
      const runas = script['runas']
      if (runas !== undefined && os === 'windows') fail(`runas (on ${location}) is not supported on Windows.`, 'remove runas.', 'runas')
      if (!byPath.has(location)) {
        fail(`${event} script '${location}' is not in the bundle.`, `add ${location} to source-dir (and make sure no exclude pattern removes it), or fix the location.`, script['location'] as string)
      }
      scripts.push({ event, location, timeout: timeout as number | undefined, runas: typeof runas === 'string' ? runas : undefined })
    }
  }
  return scripts
}

function missingAppSpec(sourceDir: string, entries: readonly Entry[], onDiskButExcluded: boolean): ActionError {
  if (onDiskButExcluded) {
    return new ActionError(`${APPSPEC_NAME} is excluded from the bundle.`, { input: 'exclude', fix: `remove the pattern that matches ${APPSPEC_NAME}.` })
  }
  if (entries.some(e => e.path === 'appspec.yaml')) {
    return new ActionError(`Found appspec.yaml at the root of ${sourceDir}, but CodeDeploy only reads ${APPSPEC_NAME} for EC2/on-premises deployments.`, {
      fix: `rename appspec.yaml to ${APPSPEC_NAME}.`
    })
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
    fix: `add ${APPSPEC_NAME} (version: 0.0, os: linux, files, hooks) at the root of the bundled directory, or point source-dir at the directory that has it.`
  })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** 1-based line of the first occurrence of `needle`, for pointing the user at it. */
function lineOf(text: string, needle: string): number | undefined {
  const index = text.indexOf(needle)
  return index < 0 ? undefined : text.slice(0, index).split('\n').length
}
