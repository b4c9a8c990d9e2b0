// One list of the actions this repository tells people to use, with the major each is pinned to.
// Dependabot bumps .github/workflows only; it never reads the README or examples/, so without this
// test they would drift to majors that are years old (node20 runtimes, removed inputs). When
// Dependabot bumps a workflow, this test fails until the README, examples/ and this table agree.
//
// `inputs` are the inputs the action.yml of that major declares (read from its tag), so an example
// written for another major (slack-github-action v1's `channel-id`/`slack-message`, say) fails here.
import * as fs from 'node:fs'
import { load } from 'js-yaml'
import { exampleYamlFiles, fencedBlocks, readme, workflowFiles, type DocSource } from './doc-sources.js'

const PINNED: Record<string, { ref: string; inputs: string[] }> = {
  'actions/checkout': {
    ref: 'v7',
    inputs: [
      'repository',
      'ref',
      'token',
      'ssh-key',
      'ssh-known-hosts',
      'ssh-strict',
      'ssh-user',
      'persist-credentials',
      'path',
      'clean',
      'filter',
      'sparse-checkout',
      'sparse-checkout-cone-mode',
      'fetch-depth',
      'fetch-tags',
      'show-progress',
      'lfs',
      'submodules',
      'set-safe-directory',
      'github-server-url',
      'allow-unsafe-pr-checkout'
    ]
  },
  'actions/setup-node': {
    ref: 'v7',
    inputs: [
      'node-version',
      'node-version-file',
      'architecture',
      'check-latest',
      'registry-url',
      'scope',
      'token',
      'cache',
      'package-manager-cache',
      'cache-dependency-path',
      'mirror',
      'mirror-token'
    ]
  },
  'actions/upload-artifact': {
    ref: 'v7',
    inputs: ['name', 'path', 'if-no-files-found', 'retention-days', 'compression-level', 'overwrite', 'include-hidden-files', 'archive']
  },
  'aws-actions/configure-aws-credentials': {
    ref: 'v6',
    inputs: [
      'aws-region',
      'aws-profile',
      'overwrite-aws-profile',
      'role-to-assume',
      'aws-access-key-id',
      'aws-secret-access-key',
      'aws-session-token',
      'web-identity-token-file',
      'role-chaining',
      'audience',
      'http-proxy',
      'no-proxy',
      'mask-aws-account-id',
      'role-duration-seconds',
      'role-external-id',
      'role-session-name',
      'role-skip-session-tagging',
      'transitive-tag-keys',
      'inline-session-policy',
      'managed-session-policies',
      'output-credentials',
      'output-env-credentials',
      'unset-current-credentials',
      'disable-retry',
      'retry-max-attempts',
      'special-characters-workaround',
      'use-existing-credentials',
      'allowed-account-ids',
      'force-skip-oidc',
      'action-timeout-s',
      'custom-tags',
      'sts-endpoint'
    ]
  },
  'aws-actions/amazon-ecr-login': { ref: 'v2', inputs: ['http-proxy', 'mask-password', 'registries', 'registry-type', 'skip-logout'] },
  'aws-actions/amazon-ecs-render-task-definition': {
    ref: 'v1',
    inputs: [
      'task-definition',
      'task-definition-arn',
      'task-definition-family',
      'task-definition-revision',
      'container-name',
      'image',
      'environment-variables',
      'log-configuration-log-driver',
      'log-configuration-options',
      'docker-labels',
      'command',
      'task-role-arn',
      'execution-role-arn',
      'env-files',
      'secrets'
    ]
  },
  'aws-actions/amazon-ecs-deploy-task-definition': {
    ref: 'v2',
    inputs: [
      'task-definition',
      'desired-count',
      'service',
      'cluster',
      'wait-for-service-stability',
      'wait-for-minutes',
      'wait-max-delay-seconds',
      'codedeploy-appspec',
      'codedeploy-application',
      'codedeploy-deployment-group',
      'codedeploy-deployment-description',
      'codedeploy-deployment-config',
      'force-new-deployment',
      'service-managed-ebs-volume-name',
      'service-managed-ebs-volume',
      'run-task',
      'run-task-container-overrides',
      'run-task-security-groups',
      'run-task-subnets',
      'run-task-assign-public-IP',
      'run-task-capacity-provider-strategy',
      'run-task-launch-type',
      'run-task-started-by',
      'run-task-tags',
      'run-task-managed-ebs-volume-name',
      'run-task-managed-ebs-volume',
      'wait-for-task-stopped',
      'enable-ecs-managed-tags',
      'propagate-tags',
      'keep-null-value-keys',
      'max-retries'
    ]
  },
  'slackapi/slack-github-action': {
    ref: 'v4',
    // v2 and later: `method` + `token`, or `webhook` + `webhook-type`, with `payload`.
    inputs: [
      'api',
      'errors',
      'method',
      'payload',
      'payload-delimiter',
      'payload-file-path',
      'payload-templated',
      'proxy',
      'retries',
      'token',
      'webhook',
      'webhook-type'
    ]
  }
}

// This action, as users reference it; its inputs are action.yml's own.
const SELF = 'org/codedeploy-action'
const SELF_REF = 'v1'
const actionInputs = Object.keys((load(fs.readFileSync('action.yml', 'utf8')) as { inputs: Record<string, unknown> }).inputs)

const textSources: DocSource[] = [{ name: 'README.md', text: readme() }, ...exampleYamlFiles(), ...workflowFiles()]

/** Every `uses: owner/repo@ref` in the text of the README, examples/ and the workflows. */
function usesIn(source: DocSource): { name: string; action: string; ref: string }[] {
  return [...source.text.matchAll(/^[\s-]*uses:\s*['"]?([^\s'"#]+)/gm)].map(match => {
    const [action = '', ref = ''] = (match[1] ?? '').split('@')
    return { name: source.name, action, ref }
  })
}

interface Step {
  uses: string
  with?: Record<string, unknown>
}
/** Every step (or reusable-workflow job) with `uses`, from everything that parses as YAML. */
function stepsIn(doc: unknown): Step[] {
  if (Array.isArray(doc)) return doc.flatMap(stepsIn)
  if (typeof doc !== 'object' || doc === null) return []
  const here = typeof (doc as Step).uses === 'string' ? [doc as Step] : []
  return [...here, ...Object.values(doc).flatMap(stepsIn)]
}

const yamlSources = [...fencedBlocks(readme(), 'yaml'), ...exampleYamlFiles(), ...workflowFiles()]
const steps = yamlSources.flatMap(source => {
  try {
    return stepsIn(load(source.text)).map(step => ({ name: source.name, step }))
  } catch {
    return [] // yaml-blocks.test.ts reports what does not parse
  }
})

test('every `uses:` in the README, examples/ and .github/workflows names a listed action at its pinned major', () => {
  const found = textSources.flatMap(usesIn)
  expect(found.length).toBeGreaterThan(10)
  const wrong = found
    .filter(
      ({ action, ref }) => !(action === '.' || action === './' || (action === SELF && ref === SELF_REF) || PINNED[action]?.ref === ref)
    )
    .map(({ name, action, ref }) => `${name}: ${action}@${ref} (pinned: ${PINNED[action]?.ref ?? 'not in the list'})`)
  expect(wrong).toEqual([])
})

test('every listed action is used somewhere (no stale rows)', () => {
  const used = new Set(textSources.flatMap(usesIn).map(u => u.action))
  expect(Object.keys(PINNED).filter(action => !used.has(action))).toEqual([])
})

test('every `with:` key is an input of the pinned major (or of action.yml for this action)', () => {
  expect(steps.length).toBeGreaterThan(10)
  const unknown = steps.flatMap(({ name, step }) => {
    const [action = ''] = step.uses.split('@')
    const known = action === SELF || action === './' ? actionInputs : PINNED[action]?.inputs
    if (!known) return []
    return Object.keys(step.with ?? {})
      .filter(key => !known.includes(key))
      .map(key => `${name}: ${step.uses} has no input '${key}'`)
  })
  expect(unknown).toEqual([])
})

test('the check catches an old major and an input of another major', () => {
  const old = { name: 'x', text: '      - uses: slackapi/slack-github-action@v1.27.0\n        with:\n          channel-id: C1\n' }
  const [use] = usesIn(old)
  expect(use).toEqual({ name: 'x', action: 'slackapi/slack-github-action', ref: 'v1.27.0' })
  expect(PINNED[use?.action ?? '']?.ref).not.toBe(use?.ref)
  const [step] = stepsIn(load(old.text))
  expect(PINNED['slackapi/slack-github-action']?.inputs).not.toContain(Object.keys(step?.with ?? {})[0])
})

test('Dependabot keeps the workflows current, so a bump shows up here as a failing pin', () => {
  const config = load(fs.readFileSync('.github/dependabot.yml', 'utf8')) as { updates: { 'package-ecosystem': string }[] }
  expect(config.updates.map(u => u['package-ecosystem'])).toContain('github-actions')
})
