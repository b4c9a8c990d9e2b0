/**
 * appspec-content.ts / appspec-resources.ts: the ECS and Lambda AppSpec, read from a real file,
 * its placeholders filled, and every check the action makes before (or right after) asking
 * CodeDeploy which platform the application is: each mistake with its own message, the file,
 * the line and the input to fix.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { appSpecFor, loadAppSpec, type LoadedAppSpec } from '../../../../src/appspec/ecs-lambda/content.js'
import { describeAppSpec } from '../../../../src/appspec/ecs-lambda/resources.js'
import { ActionError } from '../../../../src/core/errors.js'
import type { AppSpecInput } from '../../../../src/inputs/appspec.js'
import { TempDirs } from '../../../helpers/tree.js'

const ARN = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42'
const ECS = `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: <TASK_DEFINITION>
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 8080
Hooks:
  - AfterAllowTraffic: Verify
  - BeforeInstall: Prepare
`
const lambdaDoc = (props: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  JSON.stringify(
    {
      version: 0.0,
      Resources: [
        {
          orders: {
            Type: 'AWS::Lambda::Function',
            Properties: { Name: 'orders', Alias: 'live', CurrentVersion: '${CURRENT}', TargetVersion: '${TARGET}', ...props }
          }
        }
      ],
      ...extra
    },
    null,
    2
  )
const LAMBDA_VARS = { CURRENT: '3', TARGET: '4' }

const temp = new TempDirs()
afterEach(() => temp.cleanup())

function input(text: string, vars: Record<string, string> = {}, name = 'deploy/appspec.yaml'): AppSpecInput {
  const dir = temp.make()
  const file = path.join(dir, name)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return { path: file, given: name, vars: new Map(Object.entries(vars)), unused: [] }
}

function load(text: string, vars: Record<string, string> = {}, name?: string): LoadedAppSpec {
  return loadAppSpec(input(text, vars, name))
}

/** The ActionError the load (or the platform check) throws; the test fails if none is. */
function refusal(text: string, vars: Record<string, string> = {}, platform?: 'ECS' | 'Lambda', name?: string): ActionError {
  try {
    const loaded = load(text, vars, name)
    if (platform) appSpecFor(loaded, platform, 'web')
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError)
    return error as ActionError
  }
  throw new Error('expected an ActionError')
}

describe('a valid AppSpec', () => {
  test('ECS: the placeholder is filled in the content sent, whose sha256 is of those exact bytes; checked without asking CodeDeploy', () => {
    const loaded = load(ECS, { TASK_DEFINITION: ARN })
    expect(loaded.content).toBe(ECS.replace('<TASK_DEFINITION>', ARN))
    expect(loaded.sha256).toBe(createHash('sha256').update(loaded.content).digest('hex'))
    expect(loaded.platform).toBe('ECS')
    expect(loaded.checked).toEqual({
      platform: 'ECS',
      ecs: { taskDefinition: ARN, containerName: 'web', containerPort: 8080 },
      lambda: undefined,
      // In lifecycle order, whatever the file's order.
      hooks: [
        { event: 'BeforeInstall', function: 'Prepare' },
        { event: 'AfterAllowTraffic', function: 'Verify' }
      ],
      warnings: []
    })
    expect(loaded.warnings).toEqual([])
    expect(appSpecFor(loaded, 'ECS', 'web')).toBe(loaded.checked)
    expect(describeAppSpec(loaded.checked!)).toBe(
      `ECS task definition ${ARN}, container web:8080; hooks BeforeInstall → Prepare, AfterAllowTraffic → Verify`
    )
  })

  test('Lambda in JSON with ${NAME} placeholders; versions as numbers or strings', () => {
    const loaded = load(lambdaDoc({}, { Hooks: [{ BeforeAllowTraffic: 'PreTraffic' }] }), LAMBDA_VARS, 'appspec.json')
    expect(loaded.checked?.lambda).toEqual({ name: 'orders', alias: 'live', currentVersion: '3', targetVersion: '4' })
    expect(JSON.parse(loaded.content).Resources[0].orders.Properties).toMatchObject({ CurrentVersion: '3', TargetVersion: '4' })
    expect(load(lambdaDoc({ CurrentVersion: 3, TargetVersion: 4 })).checked?.lambda).toMatchObject({
      currentVersion: '3',
      targetVersion: '4'
    })
    expect(describeAppSpec(loaded.checked!)).toBe('Lambda function orders alias live, version 3 → 4; hooks BeforeAllowTraffic → PreTraffic')
  })

  test("keys in any case, as the service's own Lambda examples write them; a byte order mark is dropped", () => {
    const text =
      '\uFEFFversion: 0.0\nresources:\n  - fn:\n      type: AWS::Lambda::Function\n      properties:\n        name: orders\n        alias: live\n        currentversion: 1\n        targetversion: 2\nhooks:\n  - AfterAllowTraffic: Check\n'
    const loaded = load(text)
    expect(loaded.content.startsWith('version')).toBe(true)
    expect(loaded.checked).toMatchObject({
      platform: 'Lambda',
      lambda: { name: 'orders', currentVersion: '1', targetVersion: '2' },
      hooks: [{ event: 'AfterAllowTraffic', function: 'Check' }]
    })
  })

  test('a placeholder in a comment needs no value; an unused value, an unknown section and equal versions are warnings', () => {
    const text = `# TaskDefinition comes from <RENDERED_ARN> in CI\n${ECS}Extra: 1\n`
    const loaded = load(text, { TASK_DEFINITION: ARN, UNUSED: 'x' })
    expect(loaded.warnings).toEqual([
      'appspec-vars sets UNUSED, but deploy/appspec.yaml has no <UNUSED> or ${UNUSED} placeholder: it was not used.',
      "deploy/appspec.yaml: 'Extra' is not a section of an ECS or Lambda AppSpec (version, Resources, Hooks); CodeDeploy ignores it."
    ])
    expect(load(lambdaDoc(), { CURRENT: '4', TARGET: '4' }).checked?.warnings).toEqual([
      "deploy/appspec.yaml: CurrentVersion and TargetVersion of 'orders' are both 4: the deployment moves no traffic."
    ])
  })

  test("a resource without a Type is checked once the application's platform is known", () => {
    const loaded = load(ECS.replace('      Type: AWS::ECS::Service\n', ''), { TASK_DEFINITION: ARN })
    expect([loaded.platform, loaded.checked]).toEqual([undefined, undefined])
    expect(() => appSpecFor(loaded, 'ECS', 'web')).toThrow(
      "deploy/appspec.yaml line 3: resource 'TargetService' has Type missing; it must be AWS::ECS::Service."
    )
  })
})

describe('placeholders', () => {
  test('one left unfilled is refused, naming it, its line and the appspec-vars line to add', () => {
    const error = refusal(ECS)
    expect(error.input).toBe('appspec-vars')
    expect(error.describe()).toBe(
      "Input 'appspec-vars': deploy/appspec.yaml line 6: placeholder <TASK_DEFINITION> is not filled. Fix: add a line `TASK_DEFINITION=<value>` to appspec-vars, e.g. the output of the step that registered or published it."
    )
  })

  test('a name that differs only in case is pointed out', () => {
    expect(refusal(ECS, { task_definition: ARN }).describe()).toMatch(
      /placeholder <TASK_DEFINITION> is not filled\. Fix: .*\(it has task_definition: names are case-sensitive\)/
    )
  })

  test('${NAME} in JSON likewise', () => {
    expect(refusal(lambdaDoc(), { CURRENT: '3' }, undefined, 'appspec.json').describe()).toMatch(
      /^Input 'appspec-vars': appspec\.json line 11: placeholder \$\{TARGET\} is not filled\./
    )
  })

  test('a value that changes the YAML around it is refused instead of deploying something else', () => {
    const error = refusal(ECS, { TASK_DEFINITION: 'web:42 # pinned' })
    expect(error.input).toBe('appspec-vars')
    expect(error.describe()).toMatch(
      /^Input 'appspec-vars': deploy\/appspec\.yaml line 6: the value of TASK_DEFINITION changed the AppSpec's structure .* Fix: quote the placeholder/
    )
  })

  test('a value that breaks the syntax is blamed on the filled line, with the quoting fix', () => {
    const error = refusal(lambdaDoc(), { CURRENT: '3"', TARGET: '4' }, undefined, 'appspec.json')
    expect(error.describe()).toMatch(
      /^Input 'appspec': appspec\.json line \d+ is not valid JSON: .* Fix: fix the syntax; if that line holds a placeholder, its appspec-vars value may need quoting/
    )
  })
})

describe('syntax and shape', () => {
  test.each([
    [
      'YAML indented with a tab',
      'version: 0.0\nResources:\n  - TargetService:\n      Type: x\n\tProperties: {}\n',
      /^Input 'appspec': deploy\/appspec\.yaml line 5 is not valid YAML: tab characters must not be used in indentation\. Fix: fix the YAML syntax/
    ],
    [
      'JSON missing a comma',
      '{\n  "version": 0.0\n  "Resources": []\n}\n',
      /^Input 'appspec': deploy\/appspec\.yaml line 3 is not valid JSON: Expected ',' or '}' after property value\. Fix: fix the JSON syntax/
    ],
    [
      'JSON cut short',
      '{\n  "version": 0.0,\n  "Resources": [\n}\n',
      /^Input 'appspec': deploy\/appspec\.yaml line 4 is not valid JSON: Unexpected token '}'\. Fix: fix the JSON syntax/
    ],
    ['a list, not a mapping', '- version: 0.0\n', /deploy\/appspec\.yaml is not a YAML mapping\. Fix: start it with `version: 0\.0`/],
    [
      'version 1.0',
      ECS.replace('version: 0.0', 'version: 1.0'),
      /line 1: version is 1; an ECS or Lambda AppSpec has version 0\.0\. Fix: write `version: 0\.0`\./
    ],
    ['no version', ECS.replace('version: 0.0\n', ''), /: version is missing;/],
    [
      'no Resources',
      'version: 0.0\nHooks: []\n',
      /: has no resource to deploy: the Resources section is missing or empty\. Fix: list the ECS service or the Lambda function under Resources/
    ],
    ['Resources a mapping', 'version: 0.0\nResources:\n  TargetService: {}\n', /line 2: Resources must be a list with one item\./],
    [
      'two resources',
      `${lambdaDoc()}`.replace('"Resources": [', '"Resources": [{"a": {}}, '),
      /Resources lists 2 resources; a deployment deploys exactly one\./
    ],
    [
      'a resource with two names',
      'version: 0.0\nResources:\n  - a: {}\n    b: {}\n',
      /line 3: the resource must be a mapping with a single name/
    ]
  ])('%s', (_why, text, message) => {
    expect(refusal(text, { TASK_DEFINITION: ARN, ...LAMBDA_VARS }).describe()).toMatch(message)
  })
})

describe('ECS checks', () => {
  const ecs = (from: string, to: string) => ECS.replace(from, to)
  test.each([
    [
      'a resource not named TargetService',
      ecs('TargetService:', 'WebService:'),
      /line 3: the ECS resource is named 'WebService'; CodeDeploy looks for TargetService\. Fix: name it TargetService/
    ],
    [
      'no Properties',
      ecs(
        '      Properties:\n        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n          ContainerName: web\n          ContainerPort: 8080\n',
        ''
      ),
      /line 3: resource 'TargetService' has no Properties\./
    ],
    [
      'no TaskDefinition',
      ecs('        TaskDefinition: <TASK_DEFINITION>\n', ''),
      /line 5: TaskDefinition is missing\. Fix: set it to the ARN of the task definition/
    ],
    [
      'a TaskDefinition that is no ARN (an unfilled placeholder of another syntax)',
      ecs('<TASK_DEFINITION>', '"{{TASK_DEFINITION}}"'),
      /line 6: TaskDefinition '\{\{TASK_DEFINITION\}\}' is not a task definition ARN .*Fix: use the ARN that registering the task definition returned/
    ],
    [
      'no LoadBalancerInfo',
      ecs('        LoadBalancerInfo:\n          ContainerName: web\n          ContainerPort: 8080\n', ''),
      /line 5: LoadBalancerInfo is missing/
    ],
    ['no ContainerName', ecs('          ContainerName: web\n', ''), /line 7: LoadBalancerInfo\.ContainerName is missing\./],
    [
      'a port out of range',
      ecs('8080', '70000'),
      /line 9: LoadBalancerInfo\.ContainerPort is 70000; it must be a port number from 1 to 65535\./
    ],
    ['a port by name', ecs('8080', 'http'), /LoadBalancerInfo\.ContainerPort is 'http'/],
    [
      'a hook on ValidateService (an EC2 event)',
      ecs('- BeforeInstall: Prepare', '- ValidateService: Prepare'),
      /line 12: 'ValidateService' is not a lifecycle event of an ECS deployment\. Fix: use one of BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic\./
    ],
    [
      'a hook on Install',
      ecs('- BeforeInstall: Prepare', '- Install: Prepare'),
      /Install is run by CodeDeploy itself; no hook can be attached to it\./
    ],
    [
      'two hooks on one event',
      ecs('- BeforeInstall: Prepare', '- AfterAllowTraffic: Again'),
      /line 12: AfterAllowTraffic has more than one hook/
    ],
    [
      'a hook without a function',
      ecs('- BeforeInstall: Prepare', '- BeforeInstall:'),
      /the BeforeInstall hook names empty, not a Lambda function\./
    ],
    [
      'Hooks as a mapping',
      ecs('Hooks:\n  - AfterAllowTraffic: Verify\n  - BeforeInstall: Prepare\n', 'Hooks:\n  AfterAllowTraffic: Verify\n'),
      /line 10: Hooks must be a list of `- <event>: <Lambda function>` items\./
    ]
  ])('%s', (_why, text, message) => {
    const error = refusal(text, { TASK_DEFINITION: ARN })
    expect(error.input).toBe('appspec')
    expect(error.describe()).toMatch(message)
  })

  test('a family:revision task definition is accepted as ECS accepts it', () => {
    expect(load(ECS, { TASK_DEFINITION: 'web:42' }).checked?.ecs?.taskDefinition).toBe('web:42')
  })
})

describe('Lambda checks', () => {
  test.each([
    ['no Name', lambdaDoc({ Name: '' }), /line \d+: Name is empty|Name is ''/],
    ['no Alias', lambdaDoc({ Alias: undefined }), /Alias is missing\. Fix: set Alias to the alias whose traffic moves/],
    [
      '$LATEST',
      lambdaDoc({ TargetVersion: '$LATEST' }),
      /line 11: TargetVersion is '\$LATEST'; it must be a published version number\. Fix: publish a version \(`aws lambda publish-version`\)/
    ],
    ['version 0', lambdaDoc({ CurrentVersion: 0 }), /line 10: CurrentVersion is 0;/],
    [
      'Type of ECS on a resource with Lambda properties',
      lambdaDoc().replace('AWS::Lambda::Function', 'AWS::Lambda::Alias'),
      /resource 'orders' has Type 'AWS::Lambda::Alias'; it must be AWS::Lambda::Function/
    ],
    [
      'an ECS-only hook',
      lambdaDoc({}, { Hooks: [{ AfterAllowTestTraffic: 'Smoke' }] }),
      /'AfterAllowTestTraffic' is not a lifecycle event of a Lambda deployment\. Fix: use one of BeforeAllowTraffic, AfterAllowTraffic\./
    ],
    ['a hook on AllowTraffic', lambdaDoc({}, { Hooks: [{ AllowTraffic: 'Shift' }] }), /AllowTraffic is run by CodeDeploy itself/]
  ])('%s', (_why, text, message) => {
    expect(refusal(text, LAMBDA_VARS, 'Lambda').describe()).toMatch(message)
  })
})

describe("the application's platform decides", () => {
  test('an ECS AppSpec for a Lambda application is refused, naming both', () => {
    const error = refusal(ECS, { TASK_DEFINITION: ARN }, 'Lambda')
    expect(error.input).toBe('appspec')
    expect(error.describe()).toBe(
      "Input 'appspec': deploy/appspec.yaml line 3: describes an ECS service (Type AWS::ECS::Service), but application 'web' deploys to Lambda. Fix: use the AppSpec written for web (a resource of Type AWS::Lambda::Function), or set application-name to the ECS application."
    )
  })

  test('a Lambda AppSpec for an ECS application likewise', () => {
    expect(refusal(lambdaDoc(), LAMBDA_VARS, 'ECS').describe()).toMatch(
      /describes a Lambda function \(Type AWS::Lambda::Function\), but application 'web' deploys to ECS/
    )
  })
})

describe('the examples the README points at', () => {
  test.each([
    ['examples/ecs-appspec.yaml', { TASK_DEFINITION: ARN }, 'ECS'],
    ['examples/lambda-appspec.yaml', { CURRENT_VERSION: '3', TARGET_VERSION: '4' }, 'Lambda']
  ] as const)('%s passes every check once its placeholders are filled', (file, vars, platform) => {
    const loaded = loadAppSpec({ path: path.resolve(file), given: file, vars: new Map(Object.entries(vars)), unused: [] })
    expect(loaded.warnings).toEqual([])
    expect(appSpecFor(loaded, platform, 'app')).toMatchObject({ platform, warnings: [] })
    expect(loaded.content).not.toMatch(/<[A-Z_]+>"/)
    expect(() => loadAppSpec({ path: path.resolve(file), given: file, vars: new Map(), unused: [] })).toThrow(/is not filled/)
  })
})
