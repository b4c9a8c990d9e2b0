// Every piece of YAML a user copies from this repository parses, and every workflow passes the
// GitHub workflow schema (SchemaStore's, as compiled into @action-validator/core). A README block
// that is only steps or only a job is checked inside a minimal workflow, so its steps meet the
// schema too. action.yml is checked against the action schema.
import * as fs from 'node:fs'
import { jest } from '@jest/globals'
import { dump, load } from 'js-yaml'
import { validateAction, validateWorkflow, type ValidationError } from '@action-validator/core'
import { exampleYamlFiles, fencedBlocks, readme, workflowFiles, type DocSource } from './doc-sources.js'

type Yaml = Record<string, unknown>
const isMap = (value: unknown): value is Yaml => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The workflow to validate for a source, or undefined when it is not a workflow or part of one (an AppSpec). */
function asWorkflow(doc: unknown): Yaml | undefined {
  const job = (steps: unknown): Yaml => ({ 'runs-on': 'ubuntu-latest', steps })
  const isStep = (step: unknown): boolean => isMap(step) && ('uses' in step || 'run' in step)
  if (Array.isArray(doc) && doc.length > 0 && doc.every(isStep)) return { on: 'push', jobs: { fragment: job(doc) } }
  if (!isMap(doc)) return undefined
  if ('jobs' in doc) return { on: 'push', ...doc }
  if ('steps' in doc) return { on: 'push', jobs: { fragment: { 'runs-on': 'ubuntu-latest', ...doc } } }
  return undefined
}

/** One readable line per schema error: the parse error's place, or the path and the innermost details. */
function describe(errors: ValidationError[]): string[] {
  return errors.flatMap(error => {
    if ('location' in error && error.location) return [`${error.title}: ${error.detail} (line ${error.location.line})`]
    const nested = 'states' in error ? (error.states ?? []).flatMap(state => describe(state.errors)) : []
    return nested.length > 0 ? nested : [`${'path' in error ? error.path : ''} ${error.title}${error.detail ? `: ${error.detail}` : ''}`]
  })
}

/** What is wrong with one source: its YAML parse error, or the workflow schema's errors. */
function problems(source: DocSource): string[] {
  let doc: unknown
  try {
    doc = load(source.text)
  } catch (err) {
    return [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]
  }
  const workflow = asWorkflow(doc)
  if (!workflow) return []
  // A complete workflow is validated as written; a fragment as the workflow built around it.
  const text = isMap(doc) && 'on' in doc ? source.text : dump(workflow)
  return describe(validateWorkflow(text).errors)
}

const readmeBlocks = fencedBlocks(readme(), 'yaml')
const sources = [...readmeBlocks, ...exampleYamlFiles(), ...workflowFiles()]

// The validator warns once per paths/paths-ignore glob that it cannot check without a checkout.
beforeAll(() => jest.spyOn(console, 'warn').mockImplementation(() => {}))
afterAll(() => jest.restoreAllMocks())

test('the sources are found: README blocks, examples and workflows', () => {
  expect(readmeBlocks.length).toBeGreaterThanOrEqual(5)
  expect(sources.map(s => s.name)).toEqual(
    expect.arrayContaining(['examples/deploy.yml', 'examples/redeploy.yml', '.github/workflows/ci.yml', '.github/workflows/self-test.yml'])
  )
})

test.each(sources.map(source => [source.name, source] as const))('%s parses and fits the workflow schema', (_name, source) => {
  expect(problems(source)).toEqual([])
})

test('complete workflows are recognised as such, fragments are wrapped, AppSpecs are only parsed', () => {
  const complete = sources.filter(s => {
    try {
      const doc = load(s.text)
      return isMap(doc) && 'on' in doc && 'jobs' in doc
    } catch {
      return false // reported by the test above
    }
  })
  expect(complete.map(s => s.name)).toEqual(expect.arrayContaining(['examples/deploy.yml', 'examples/redeploy.yml']))
  expect(complete.some(s => s.name.startsWith('README.md:'))).toBe(true)
  expect(asWorkflow(load('- uses: actions/checkout@v7\n- run: echo hi\n'))).toMatchObject({ jobs: { fragment: { steps: [{}, {}] } } })
  expect(asWorkflow(load('version: 0.0\nResources: []\n'))).toBeUndefined()
})

test('the check fails on what breaks a workflow: a colon-space in a plain scalar, an unknown job key, a bad trigger', () => {
  const jq = `      - env:\n          D: x\n        run: echo "$D" | jq -r '.[] | "\\(.group): \\(.status)"'\n`
  expect(problems({ name: 'jq', text: jq })).toEqual([expect.stringContaining('not valid YAML')])
  const typo = 'on: push\njobs:\n  a:\n    runz-on: ubuntu-latest\n    steps:\n      - run: echo hi\n'
  expect(problems({ name: 'typo', text: typo }).join('\n')).toContain("Additional property 'runz-on' is not allowed")
  const trigger = 'on:\n  pushh:\n    branches: [main]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n'
  expect(problems({ name: 'trigger', text: trigger })).not.toEqual([])
  expect(problems({ name: 'steps', text: '- uses: a/b@v1\n  run: echo both\n' })).not.toEqual([])
})

test('action.yml fits the action schema and runs on node24', () => {
  const actionYml = fs.readFileSync('action.yml', 'utf8')
  const runs = (load(actionYml) as { runs: { using: string; main: string } }).runs
  expect(runs).toEqual(expect.objectContaining({ using: 'node24', main: 'dist/index.js' }))
  // @action-validator/core 0.6.0 (the latest) carries a schema that lists node12, node16 and node20
  // only; the runtime is checked above, the rest of the file against the schema.
  const checkable = actionYml.replace(/^(\s+using:\s*)['"]?node24['"]?\s*$/m, "$1'node20'")
  expect(checkable).not.toBe(actionYml)
  expect(describe(validateAction(checkable).errors)).toEqual([])
  expect(describe(validateAction(checkable.replace('inputs:', 'inputz:')).errors)).not.toEqual([])
})
