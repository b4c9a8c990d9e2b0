// examples/redeploy.yml: the Run workflow form's text field is one line, and the action's
// deployment-group input takes one group per line. The example's step converts one to the other;
// this runs that step's script as the runner would (bash, GITHUB_OUTPUT) and reads its output.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { load } from 'js-yaml'

interface Step {
  id?: string
  run?: string
  uses?: string
  with?: Record<string, string>
}
const workflow = load(fs.readFileSync('examples/redeploy.yml', 'utf8')) as { jobs: { redeploy: { steps: Step[] } } }
const steps = workflow.jobs.redeploy.steps
const split = steps.find(step => step.id === 'groups')

function runSplit(input: string): { status: number; list: string | undefined; stdout: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redeploy-example-'))
  const output = path.join(dir, 'output')
  fs.writeFileSync(output, '')
  let status = 0
  let stdout: string
  try {
    stdout = execFileSync('bash', ['-e', '-c', split?.run ?? 'exit 99'], {
      env: { PATH: process.env.PATH ?? '', GROUPS_INPUT: input, GITHUB_OUTPUT: output },
      encoding: 'utf8'
    })
  } catch (err) {
    status = (err as { status: number }).status
    stdout = String((err as { stdout: unknown }).stdout)
  }
  const match = /^list<<(\S+)\n([\s\S]*?)\n\1$/m.exec(fs.readFileSync(output, 'utf8'))
  fs.rmSync(dir, { recursive: true, force: true })
  return { status, list: match?.[2], stdout }
}

test('the action is given the step output, one group per line', () => {
  expect(split?.run).toBeDefined()
  const deploy = steps.find(step => step.uses?.startsWith('org/codedeploy-action@'))
  expect(deploy?.with?.['deployment-group']).toBe('${{ steps.groups.outputs.list }}')
})

test.each([
  ['production', 'production'],
  ['production-eu, production-us', 'production-eu\nproduction-us'],
  ['  production-eu  production-us ,staging,', 'production-eu\nproduction-us\nstaging']
])('%j becomes one group per line', (input, expected) => {
  expect(runSplit(input)).toMatchObject({ status: 0, list: expected })
})

test('an input with no group fails the step with an error naming the input', () => {
  const result = runSplit(' , ')
  expect(result.status).not.toBe(0)
  expect(result.list).toBeUndefined()
  expect(result.stdout).toContain("::error::Input 'deployment-groups' is empty")
})
