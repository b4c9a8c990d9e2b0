import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { load } from 'js-yaml'
import { ActionError } from '../../core/errors.js'
import type { AppSpecInput } from '../../inputs/appspec.js'
import { AppSpecDoc, escape, isRecord, member } from '../doc.js'
import { checkResource, type CheckedAppSpec, type ContentPlatform } from './resources.js'

/** `<NAME>` or `${NAME}`: the placeholders appspec-vars fills. */
const PLACEHOLDER = /<([A-Za-z_][A-Za-z0-9_]*)>|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g
const SECTIONS = ['version', 'resources', 'hooks']
const TYPES: Record<string, ContentPlatform> = { 'AWS::ECS::Service': 'ECS', 'AWS::Lambda::Function': 'Lambda' }

/** The AppSpec as read from the workspace, its placeholders filled: what CreateDeployment will carry. */
export interface LoadedAppSpec {
  doc: AppSpecDoc
  /** The exact text sent as AppSpecContent. */
  content: string
  sha256: string
  /** The platform the resource's Type names, when it names one. */
  platform: ContentPlatform | undefined
  /** Fully checked already when the Type named the platform (no AWS call needed for that). */
  checked: CheckedAppSpec | undefined
  warnings: string[]
}

/**
 * Reads the `appspec` file, fills its placeholders from appspec-vars and checks all that needs
 * no AWS call: the syntax, every placeholder filled, version 0.0, one resource and, when its
 * Type says which platform it is for, the whole of it. Nothing here talks to AWS.
 */
export function loadAppSpec(input: AppSpecInput): LoadedAppSpec {
  const raw = fs.readFileSync(input.path, 'utf8').replace(/^\uFEFF/, '')
  const used = new Set<string>()
  const content = raw.replace(PLACEHOLDER, (token, angle: string | undefined, dollar: string | undefined) => {
    const name = angle ?? dollar ?? ''
    const value = input.vars.get(name)
    if (value === undefined) return token
    used.add(name)
    return value
  })
  const root = parse(input.given, content, raw)
  const doc = new AppSpecDoc(input.given, content, root)
  checkPlaceholders(doc, input, used)

  const warnings = [...input.vars.keys()]
    .filter(name => !used.has(name))
    .map(name => `appspec-vars sets ${name}, but ${input.given} has no <${name}> or \${${name}} placeholder: it was not used.`)
  for (const key of Object.keys(root)) {
    if (!SECTIONS.includes(key.toLowerCase()))
      warnings.push(
        `${input.given}: '${key}' is not a section of an ECS or Lambda AppSpec (version, Resources, Hooks); CodeDeploy ignores it.`
      )
  }
  const version = member(root, 'version')?.[1]
  if (version !== 0 && version !== '0.0') {
    doc.fail(
      `version is ${version === undefined ? 'missing' : JSON.stringify(version)}; an ECS or Lambda AppSpec has version 0.0.`,
      'write `version: 0.0`.',
      ['version']
    )
  }
  const platform = resourceType(doc)
  return {
    doc,
    content,
    sha256: createHash('sha256').update(content, 'utf8').digest('hex'),
    platform,
    checked: platform ? checkResource(doc, platform) : undefined,
    warnings
  }
}

/**
 * The checks that need the application's compute platform (from GetApplication): an AppSpec
 * whose Type named none is checked now, and one written for the other platform is refused.
 */
export function appSpecFor(loaded: LoadedAppSpec, platform: ContentPlatform, applicationName: string): CheckedAppSpec {
  if (loaded.platform && loaded.platform !== platform) {
    const what = loaded.platform === 'ECS' ? 'an ECS service (Type AWS::ECS::Service)' : 'a Lambda function (Type AWS::Lambda::Function)'
    const wanted = platform === 'ECS' ? 'a TargetService of Type AWS::ECS::Service' : 'a resource of Type AWS::Lambda::Function'
    loaded.doc.fail(
      `describes ${what}, but application '${applicationName}' deploys to ${platform}.`,
      `use the AppSpec written for ${applicationName} (${wanted}), or set application-name to the ${loaded.platform} application.`,
      ['Resources', 0]
    )
  }
  return loaded.checked ?? checkResource(loaded.doc, platform)
}

function parse(name: string, content: string, raw: string): Record<string, unknown> {
  let doc: unknown
  let jsonError: unknown
  // The service reads JSON and YAML; JSON first, so a JSON file's mistake is told in JSON terms.
  if (/^\s*[{[]/.test(content)) {
    try {
      doc = JSON.parse(content)
    } catch (error) {
      jsonError = error
    }
  }
  if (doc === undefined) {
    try {
      doc = load(content, { filename: name })
    } catch (error) {
      throw syntaxError(name, content, content !== raw, jsonError ?? error, error)
    }
  }
  if (!isRecord(doc)) {
    throw new ActionError(`${name} is not a ${jsonError === undefined && !/^\s*[{[]/.test(content) ? 'YAML mapping' : 'JSON object'}.`, {
      input: 'appspec',
      fix: 'start it with `version: 0.0`, then `Resources:` (see examples/ecs-appspec.yaml and examples/lambda-appspec.yaml).'
    })
  }
  return doc
}

/** `error`: JSON.parse's for JSON-looking text, else js-yaml's; `yaml`: js-yaml's, whose line stands in when JSON gives none. */
function syntaxError(name: string, content: string, filled: boolean, error: unknown, yaml: unknown): ActionError {
  const mark = (yaml as { mark?: { line?: number } }).mark
  let line = mark?.line === undefined ? undefined : mark.line + 1
  let reason = (error as { reason?: string }).reason
  const json = error instanceof SyntaxError
  if (json) {
    const position = /at position (\d+)/.exec(error.message)
    if (position) line = content.slice(0, Number(position[1])).split('\n').length
    reason = error.message.replace(/, (\.\.\.)?".*$/s, '').replace(/ in JSON at position \d+.*$/s, '')
  }
  const kind = json ? 'JSON' : 'YAML'
  return new ActionError(`${name}${line ? ` line ${line}` : ''} is not valid ${kind}: ${reason ?? String(error)}.`, {
    input: 'appspec',
    fix: filled
      ? 'fix the syntax; if that line holds a placeholder, its appspec-vars value may need quoting in the AppSpec, e.g. ' +
        '`TaskDefinition: "<TASK_DEFINITION>"`.'
      : json
        ? 'fix the JSON syntax (double-quoted keys, commas between entries, none after the last).'
        : 'fix the YAML syntax (indent with spaces, not tabs; quote values that contain ": ").'
  })
}

/** Every placeholder is filled, and every value filled in reads back as it was given. */
function checkPlaceholders(doc: AppSpecDoc, input: AppSpecInput, used: ReadonlySet<string>): void {
  const scalars: string[] = []
  collect(doc.root, scalars)
  for (const text of scalars) {
    const match = new RegExp(PLACEHOLDER.source).exec(text)
    if (!match) continue
    const name = match[1] ?? match[2] ?? ''
    const near = [...input.vars.keys()].find(k => k.toLowerCase() === name.toLowerCase())
    doc.fail(
      `placeholder ${match[0]} is not filled.`,
      `add a line \`${name}=<value>\` to appspec-vars${near ? ` (it has ${near}: names are case-sensitive)` : ''}, e.g. the output of ` +
        `the step that registered or published it.`,
      doc.lineContaining(new RegExp(escape(match[0]))),
      'appspec-vars'
    )
  }
  for (const name of used) {
    const value = input.vars.get(name) ?? ''
    if (scalars.some(text => text.includes(value))) continue
    doc.fail(
      `the value of ${name} changed the AppSpec's structure where it was filled in: it holds YAML or JSON syntax (such as ': ', ' #' or ` +
        `a quote).`,
      `quote the placeholder in the AppSpec, e.g. \`TaskDefinition: "<${name}>"\`, or check the value.`,
      doc.lineContaining(new RegExp(escape(value))),
      'appspec-vars'
    )
  }
}

function collect(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value)
  else if (typeof value === 'number' || typeof value === 'boolean') into.push(String(value))
  else if (Array.isArray(value)) for (const item of value) collect(item, into)
  else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      into.push(key)
      collect(item, into)
    }
  }
}

/** The platform named by the one resource's Type; the shape of Resources is checked on the way. */
function resourceType(doc: AppSpecDoc): ContentPlatform | undefined {
  const [key, resources] = member(doc.root, 'Resources') ?? ['Resources', undefined]
  const example = 'see examples/ecs-appspec.yaml or examples/lambda-appspec.yaml'
  if (resources === undefined || resources === null || (Array.isArray(resources) && resources.length === 0)) {
    doc.fail(
      'has no resource to deploy: the Resources section is missing or empty.',
      `list the ECS service or the Lambda function under Resources (${example}).`,
      [key]
    )
  }
  if (!Array.isArray(resources)) {
    doc.fail(
      'Resources must be a list with one item.',
      `write the resource as a list item, e.g. \`- TargetService:\` under Resources (${example}).`,
      [key]
    )
  }
  if (resources.length > 1) {
    doc.fail(
      `Resources lists ${resources.length} resources; a deployment deploys exactly one.`,
      'keep one ECS service or one Lambda function per AppSpec; deploy others with their own deployment groups.',
      [key, 1]
    )
  }
  const resource: unknown = resources[0]
  if (!isRecord(resource) || Object.keys(resource).length !== 1) {
    doc.fail(
      'the resource must be a mapping with a single name (TargetService for ECS, any name for a Lambda function).',
      `write it as \`- TargetService:\` or \`- MyFunction:\` with Type and Properties under it (${example}).`,
      [key, 0]
    )
  }
  const [body] = Object.values(resource)
  const type = member(body, 'Type')?.[1]
  return typeof type === 'string' ? TYPES[type] : undefined
}
