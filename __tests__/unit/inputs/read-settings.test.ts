import * as fs from 'node:fs'
import * as path from 'node:path'
import { ActionError } from '../../../src/core/errors.js'
import { DESCRIPTION_LIMIT, readSettings } from '../../../src/inputs/read-settings.js'
import { legacyBucketNote } from '../../../src/inputs/s3.js'
import type { Settings } from '../../../src/inputs/settings.js'
import { buildTree, TempDirs } from '../../helpers/tree.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'
const REQUIRED = { 'application-name': 'shop', 'deployment-group': 'production', 's3-bucket': 'my-bundles' }

const temp = new TempDirs()
let parent: string
let workspace: string

beforeEach(() => {
  parent = temp.make()
  workspace = path.join(parent, 'ws')
  buildTree(parent, {
    'ws/app/appspec.yml': 'version: 0.0\nos: linux\n',
    'ws/file.txt': 'not a directory',
    'ws/inner-link': { symlink: 'app' },
    'ws/escape': { symlink: '../outside' },
    'outside/appspec.yml': 'version: 0.0\nos: linux\n'
  })
})
afterEach(() => temp.cleanup())

function baseEnv(): NodeJS.ProcessEnv {
  return {
    GITHUB_WORKSPACE: workspace,
    GITHUB_SHA: SHA,
    GITHUB_REPOSITORY: 'octo/shop',
    GITHUB_RUN_ID: '42',
    GITHUB_SERVER_URL: 'https://github.com',
    AWS_REGION: 'eu-west-1'
  }
}

/** readSettings with a named input map: REQUIRED plus `given`; a key set to undefined is removed. */
function read(given: Record<string, string | undefined> = {}, env: NodeJS.ProcessEnv = baseEnv()): Settings {
  const inputs: Record<string, string | undefined> = { ...REQUIRED, ...given }
  return readSettings(name => inputs[name] ?? '', env)
}

/** The ActionError readSettings throws (the test fails if it returns or throws anything else). */
function readError(given: Record<string, string | undefined>, env: NodeJS.ProcessEnv = baseEnv()): ActionError {
  let settings: Settings
  try {
    settings = read(given, env)
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError)
    return error as ActionError
  }
  throw new Error(`expected an ActionError, got settings ${JSON.stringify(settings)}`)
}

describe('readSettings defaults', () => {
  test('only the required inputs: every other setting has its documented default', () => {
    const s = read()
    expect(s).toEqual({
      applicationName: 'shop',
      deploymentGroups: ['production'],
      deploymentConfig: undefined,
      appspec: undefined,
      s3Bucket: 'my-bundles',
      s3KeyPrefix: '',
      sourceDir: fs.realpathSync(workspace),
      exclude: [],
      bundleType: 'zip',
      sha: SHA,
      redeploy: false,
      upload: 'auto',
      description: `octo/shop@0123456 https://github.com/octo/shop/actions/runs/42`,
      fileExistsBehavior: undefined,
      ignoreApplicationStopFailures: false,
      wait: true,
      timeoutMinutes: 60,
      stopOnCancel: true,
      region: 'eu-west-1',
      s3Sse: undefined,
      s3KmsKeyId: undefined,
      expectedBucketOwner: undefined,
      githubEnvironment: undefined,
      githubToken: undefined,
      repository: 'octo/shop',
      runUrl: 'https://github.com/octo/shop/actions/runs/42',
      prebuiltBundle: undefined,
      s3Key: undefined,
      updateOutdatedInstancesOnly: false,
      autoRollback: 'group',
      alarms: 'group',
      githubEnvironmentProduction: false,
      githubEnvironmentUrl: undefined,
      command: 'deploy',
      deploymentId: undefined,
      autoRollbackOnStop: true,
      waitForTermination: false
    } satisfies Settings)
  })

  test('optional free-text inputs are passed through', () => {
    const s = read({
      'deployment-config': 'CodeDeployDefault.OneAtATime',
      'github-environment': 'prod',
      'github-token': 'ghs_token',
      exclude: '*.log\n\n# comment\r\n/build/'
    })
    expect(s.deploymentConfig).toBe('CodeDeployDefault.OneAtATime')
    expect(s.githubEnvironment).toBe('prod')
    expect(s.githubToken).toBe('ghs_token')
    expect(s.exclude).toEqual(['*.log', '/build/'])
  })
})

describe('required inputs', () => {
  test.each([
    ['application-name', undefined],
    ['application-name', ''],
    ['deployment-group', undefined],
    ['deployment-group', ''],
    ['s3-bucket', undefined],
    ['s3-bucket', '']
  ])('%s missing (%p): names the input and the fix', (name, value) => {
    const error = readError({ [name]: value })
    expect(error.input).toBe(name)
    expect(error.describe()).toMatch(new RegExp(`^Input '${name}' is required and was not set\\. Fix: set it to `))
  })

  test('with everything missing, the first required input is the one reported', () => {
    const error = readError({ 'application-name': '', 'deployment-group': '', 's3-bucket': '' }, {})
    expect(error.input).toBe('application-name')
  })
})

describe('enumerated inputs', () => {
  test.each([
    ['bundle-type', 'zip', 'bundleType', 'zip'],
    ['bundle-type', 'TGZ', 'bundleType', 'tgz'],
    ['bundle-type', 'Zip', 'bundleType', 'zip'],
    ['bundle-type', 'tar', 'bundleType', 'tar'],
    ['alarms', 'OFF', 'alarms', 'off'],
    ['alarms', 'group', 'alarms', 'group'],
    ['upload', 'AUTO', 'upload', 'auto'],
    ['upload', 'Always', 'upload', 'always'],
    ['upload', 'never', 'upload', 'never'],
    ['file-exists-behavior', 'overwrite', 'fileExistsBehavior', 'OVERWRITE'],
    ['file-exists-behavior', 'Retain', 'fileExistsBehavior', 'RETAIN'],
    ['file-exists-behavior', 'DISALLOW', 'fileExistsBehavior', 'DISALLOW'],
    ['s3-sse', 'aes256', 's3Sse', 'AES256'],
    ['s3-sse', 'AWS:KMS', 's3Sse', 'aws:kms']
  ] as const)('%s: %p is accepted as %p', (input, given, key, expected) => {
    expect(read({ [input]: given })[key]).toBe(expected)
  })

  test.each([
    ['bundle-type', 'tar.gz', 'zip, tar, tgz'],
    ['bundle-type', 'rar', 'zip, tar, tgz'],
    ['alarms', 'disabled', 'group, off'],
    ['upload', 'sometimes', 'auto, always, never'],
    ['file-exists-behavior', 'replace', 'DISALLOW, OVERWRITE, RETAIN'],
    ['s3-sse', 'kms', 'AES256, aws:kms'],
    ['s3-sse', 'SSE-S3', 'AES256, aws:kms']
  ])('%s: %p is rejected, listing %s', (input, given, allowed) => {
    const error = readError({ [input]: given })
    expect(error.input).toBe(input)
    expect(error.describe()).toBe(`Input '${input}': '${given}' is not a valid value. Fix: use one of: ${allowed}.`)
  })
})

describe('boolean inputs', () => {
  const names = [
    ['wait', 'wait'],
    ['stop-on-cancel', 'stopOnCancel'],
    ['ignore-application-stop-failures', 'ignoreApplicationStopFailures'],
    ['update-outdated-instances-only', 'updateOutdatedInstancesOnly']
  ] as const
  const accepted: Array<[string, boolean]> = [
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false]
  ]

  test.each(names.flatMap(([input, key]) => accepted.map(([given, value]) => [input, key, given, value] as const)))(
    '%s: %p reads as %p',
    (input, key, given, value) => {
      expect(read({ [input]: given })[key]).toBe(value)
    }
  )

  test.each(names.flatMap(([input]) => ['yes', 'no', '1', 'on', 'tRuE'].map(given => [input, given] as const)))(
    '%s: %p is rejected',
    (input, given) => {
      const error = readError({ [input]: given })
      expect(error.input).toBe(input)
      expect(error.describe()).toBe(`Input '${input}': '${given}' is not a boolean. Fix: use true or false.`)
    }
  )
})

describe('timeout-minutes', () => {
  test.each([
    ['30', 30],
    ['1.5', 1.5],
    ['360', 360],
    ['1', 1]
  ])('%p is %p minutes', (given, minutes) => {
    expect(read({ 'timeout-minutes': given }).timeoutMinutes).toBe(minutes)
  })

  test.each(['abc', '0', '0.0', '-5', '361', '1e3', '10m', ' 5x'])('%p is rejected', given => {
    const error = readError({ 'timeout-minutes': given })
    expect(error.input).toBe('timeout-minutes')
    expect(error.describe()).toMatch(
      /^Input 'timeout-minutes': '.*' is not a number of minutes between 0 and 360\. Fix: use a positive number/
    )
  })
})

describe('s3-bucket', () => {
  test.each(['my-bundles', 'a.b.c', 'abc', 'x'.repeat(63), '1bucket-2'])('%p is accepted', bucket => {
    expect(read({ 's3-bucket': bucket }).s3Bucket).toBe(bucket)
  })

  // Buckets made in us-east-1 before March 2018 may have upper case, underscores and up to 255 characters.
  test.each(['My-Bundles', 'my_bundles', 'Deploy_Bundles.2017', 'x'.repeat(64), 'x'.repeat(255)])(
    'the legacy us-east-1 name %p is accepted, with a warning',
    bucket => {
      expect(read({ 's3-bucket': bucket }).s3Bucket).toBe(bucket)
      expect(legacyBucketNote(bucket)).toMatch(
        new RegExp(`^s3-bucket '${bucket}' is a legacy bucket name .*us-east-1 before March 1, 2018.*path-style`)
      )
    }
  )

  test.each(['my-bundles', 'a.b.c'])('a current name (%p) has no warning', bucket => {
    expect(legacyBucketNote(bucket)).toBeUndefined()
  })

  test.each([
    ['an s3:// URI', 's3://my-bundles'],
    ['an ARN', 'arn:aws:s3:::my-bundles'],
    ['too short', 'ab'],
    ['IP-like', '192.168.1.1'],
    ['two dots', 'a..b'],
    ['leading hyphen', '-abc'],
    ['a slash', 'my-bundles/app'],
    ['a space', 'my bundles'],
    ['longer than even a legacy name', 'x'.repeat(256)]
  ])('%s (%p) is rejected with the expected form', (_why, bucket) => {
    const error = readError({ 's3-bucket': bucket })
    expect(error.input).toBe('s3-bucket')
    expect(error.describe()).toMatch(/is not a valid S3 bucket name\. Fix: use the bucket name alone .*not an s3:\/\/ URI/)
  })
})

describe('s3-key-prefix', () => {
  test.each(['', 'app/', 'a/b/c-', 'releases/v1.'])('%p is accepted', prefix => {
    expect(read({ 's3-key-prefix': prefix }).s3KeyPrefix).toBe(prefix)
  })

  test.each([
    ['a leading /', '/app/'],
    ['a leading .. segment', '../app/'],
    ['an inner .. segment', 'app/../other/'],
    ['a control character', 'app/\u0007'],
    ['a tab', 'app\tx/'],
    ['a backslash', 'app\\x/']
  ])('%s (%p) is rejected', (_why, prefix) => {
    const error = readError({ 's3-key-prefix': prefix })
    expect(error.input).toBe('s3-key-prefix')
    expect(error.describe()).toMatch(/is not a usable key prefix\. Fix: use a relative prefix/)
  })
})

describe('source-dir', () => {
  test.each([
    ['the default', undefined, 'ws'],
    ['a sub-directory', 'app', 'ws/app'],
    ['a sub-directory, with ./', './app/', 'ws/app'],
    ['a symlink that stays inside', 'inner-link', 'ws/app']
  ])('%s resolves to its real path', (_why, given, expected) => {
    expect(read({ 'source-dir': given }).sourceDir).toBe(fs.realpathSync(path.join(parent, expected)))
  })

  test.each([
    ['missing', 'nope', /^Input 'source-dir': 'nope' does not exist \(looked for .*nope\)\. Fix: check the path/],
    ['a file', 'file.txt', /^Input 'source-dir': 'file\.txt' is a file, not a directory\. Fix:/],
    ['outside via ..', '../outside', /^Input 'source-dir': '\.\.\/outside' is outside the workspace .* Fix: use a directory inside/],
    ['outside via a symlink', 'escape', /^Input 'source-dir': 'escape' is outside the workspace .* Fix: use a directory inside/],
    ['outside via an absolute path', '/', /^Input 'source-dir': '\/' is outside the workspace/]
  ])('%s is rejected', (_why, given, message) => {
    const error = readError({ 'source-dir': given })
    expect(error.input).toBe('source-dir')
    expect(error.describe()).toMatch(message)
  })

  test('a sibling whose name starts with the workspace name is still outside', () => {
    fs.mkdirSync(`${workspace}-evil`)
    const error = readError({ 'source-dir': '../ws-evil' })
    expect(error.describe()).toMatch(/is outside the workspace/)
  })
})

describe('sha', () => {
  test('defaults to GITHUB_SHA', () => {
    expect(read().sha).toBe(SHA)
  })

  test('an input overrides GITHUB_SHA and is lower-cased', () => {
    const given = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01'
    expect(read({ sha: given }).sha).toBe(given.toLowerCase())
  })

  test.each([
    ['no sha input', undefined, false],
    ['the workflow commit again', SHA, false],
    ['the workflow commit in upper case', SHA.toUpperCase(), false],
    ['an earlier commit', 'f'.repeat(40), true]
  ])('%s: redeploy is %p', (_why, given, redeploy) => {
    expect(read({ sha: given }).redeploy).toBe(redeploy)
  })

  test('GITHUB_SHA in upper case is lower-cased too', () => {
    expect(read({}, { ...baseEnv(), GITHUB_SHA: SHA.toUpperCase() }).sha).toBe(SHA)
  })

  test.each([
    ['a short sha', 'abc1234'],
    ['41 characters', `${SHA}0`],
    ['non-hex', 'g'.repeat(40)],
    ['a ref name', 'refs/heads/main']
  ])('%s is rejected', (_why, given) => {
    const error = readError({ sha: given })
    expect(error.input).toBe('sha')
    expect(error.describe()).toBe(
      `Input 'sha': '${given}' is not a full commit SHA. Fix: pass the full 40-character hexadecimal SHA, e.g. from \`git rev-parse HEAD\`.`
    )
  })

  test('no input and no GITHUB_SHA is rejected', () => {
    const env = baseEnv()
    delete env['GITHUB_SHA']
    const error = readError({}, env)
    expect(error.describe()).toMatch(/^Input 'sha' is empty and GITHUB_SHA is not set\. Fix: /)
  })
})

describe('aws-region', () => {
  test.each([
    ['the input first', 'us-east-1', { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'ap-south-1' }, 'us-east-1'],
    ['AWS_REGION next', undefined, { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'ap-south-1' }, 'eu-west-1'],
    ['AWS_DEFAULT_REGION last', undefined, { AWS_DEFAULT_REGION: 'ap-south-1' }, 'ap-south-1'],
    ['a GovCloud region', 'us-gov-west-1', {}, 'us-gov-west-1'],
    ['a China region', 'cn-northwest-1', {}, 'cn-northwest-1'],
    ['the European Sovereign Cloud', 'eusc-de-east-1', {}, 'eusc-de-east-1'],
    ['an ISO region', 'us-isob-east-1', {}, 'us-isob-east-1'],
    ['an ISO-E region', 'eu-isoe-west-1', {}, 'eu-isoe-west-1']
  ])('%s', (_why, given, regionEnv, expected) => {
    const env = { ...baseEnv(), AWS_REGION: undefined, ...regionEnv }
    expect(read({ 'aws-region': given }, env).region).toBe(expected)
  })

  test('none at all is rejected, naming both variables', () => {
    const env = baseEnv()
    delete env['AWS_REGION']
    const error = readError({}, env)
    expect(error.input).toBe('aws-region')
    expect(error.describe()).toMatch(/^Input 'aws-region' is not set, and neither is AWS_REGION nor AWS_DEFAULT_REGION\. Fix: /)
  })

  test.each(['Europe', 'eu_west_1', 'EU-WEST-1', 'us-east-1a', 'us-east', '-us-east-1'])('%p is rejected', region => {
    expect(readError({ 'aws-region': region }).describe()).toMatch(/is not an AWS region name\. Fix:/)
  })
})

describe('encryption and ownership', () => {
  test.each([
    ['without s3-sse', {}],
    ['with s3-sse AES256', { 's3-sse': 'AES256' }]
  ])('s3-kms-key-id %s is rejected', (_why, extra) => {
    const error = readError({ 's3-kms-key-id': 'alias/deploy', ...extra })
    expect(error.input).toBe('s3-kms-key-id')
    expect(error.describe()).toBe(
      "Input 's3-kms-key-id' is set but s3-sse is not aws:kms. Fix: add `s3-sse: aws:kms`, or remove s3-kms-key-id."
    )
  })

  test('s3-kms-key-id with s3-sse aws:kms is kept', () => {
    const s = read({ 's3-kms-key-id': 'alias/deploy', 's3-sse': 'aws:kms' })
    expect([s.s3Sse, s.s3KmsKeyId]).toEqual(['aws:kms', 'alias/deploy'])
  })

  test('a 12-digit expected-bucket-owner is kept', () => {
    expect(read({ 'expected-bucket-owner': '123456789012' }).expectedBucketOwner).toBe('123456789012')
  })

  test.each(['12345', '1234567890123', 'abcdefghijkl', '1234-5678-9012'])('expected-bucket-owner %p is rejected', owner => {
    const error = readError({ 'expected-bucket-owner': owner })
    expect(error.input).toBe('expected-bucket-owner')
    expect(error.describe()).toMatch(/is not an AWS account id\. Fix: use the 12-digit account id\./)
  })

  test('github-environment with an empty github-token is rejected, naming the token', () => {
    const error = readError({ 'github-environment': 'production' })
    expect(error.input).toBe('github-token')
    expect(error.describe()).toMatch(/^Input 'github-token' is empty, but github-environment needs a token.* Fix: /)
  })
})

describe('appspec and appspec-vars (ECS and Lambda)', () => {
  const ECS = { appspec: 'deploy/appspec.yaml', 's3-bucket': undefined }
  beforeEach(() => {
    buildTree(parent, {
      'ws/deploy/appspec.yaml': 'version: 0.0\n',
      'ws/deploy/dir/keep': '',
      'ws/outside-link.yaml': { symlink: '../outside/appspec.yml' }
    })
  })

  test('an AppSpec path inside the workspace: s3-bucket is no longer required, and nothing of the bundle is read', () => {
    const s = read({ ...ECS, 'source-dir': 'no/such/dir' })
    expect(s.appspec).toEqual({
      path: fs.realpathSync(path.join(workspace, 'deploy', 'appspec.yaml')),
      given: 'deploy/appspec.yaml',
      vars: new Map(),
      unused: ['source-dir']
    })
    expect([s.s3Bucket, s.s3KeyPrefix, s.exclude, s.upload, s.fileExistsBehavior, s.ignoreApplicationStopFailures]).toEqual([
      '',
      '',
      [],
      'auto',
      undefined,
      false
    ])
  })

  test('without appspec, s3-bucket is still required, and the fix points ECS and Lambda users at appspec', () => {
    const error = readError({ 's3-bucket': undefined })
    expect(error.input).toBe('s3-bucket')
    expect(error.describe()).toMatch(/^Input 's3-bucket' is required and was not set\. Fix: .*set `appspec` to their AppSpec file instead/)
  })

  test('appspec-vars: NAME=value lines, comments and blank lines skipped, a value may hold = and :', () => {
    const vars = read({
      ...ECS,
      'appspec-vars': '# from the render step\nTASK_DEFINITION = arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42\r\n\n_v2=a=b'
    }).appspec?.vars
    expect(vars).toEqual(
      new Map([
        ['TASK_DEFINITION', 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42'],
        ['_v2', 'a=b']
      ])
    )
  })

  test.each([
    [
      'a line without =',
      'TASK_DEFINITION',
      /^Input 'appspec-vars': line 'TASK_DEFINITION' is not NAME=value\. Fix: write one `NAME=value` per line/
    ],
    ['a name with a dash', 'TASK-DEF=x', /line 'TASK-DEF=x' is not NAME=value/],
    ['a name starting with a digit', '1ST=x', /line '1ST=x' is not NAME=value/],
    ['a name set twice', 'A=1\nA=2', /^Input 'appspec-vars' names A twice\. Fix: keep one A= line\.$/],
    [
      'an empty value (a step output that was not set)',
      'TASK_DEFINITION=',
      /^Input 'appspec-vars' has an empty value for TASK_DEFINITION\. Fix: .*a step output that was not set/
    ]
  ])('appspec-vars with %s is rejected', (_why, vars, message) => {
    const error = readError({ ...ECS, 'appspec-vars': vars })
    expect(error.input).toBe('appspec-vars')
    expect(error.describe()).toMatch(message)
  })

  test('appspec-vars without appspec is rejected: there is nothing to fill', () => {
    const error = readError({ 'appspec-vars': 'A=1' })
    expect(error.describe()).toMatch(/^Input 'appspec-vars' is set, but appspec is empty.* Fix: set appspec to the AppSpec file/)
  })

  test.each([
    ['a missing file', 'deploy/appspec.yml', /'deploy\/appspec\.yml' does not exist \(looked for .*\)\. Fix: .*ECS and Lambda/],
    ['a directory', 'deploy/dir', /'deploy\/dir' is a directory, not a file\./],
    ['a path out of the workspace', '../outside/appspec.yml', /is outside the workspace/],
    ['a symlink out of the workspace', 'outside-link.yaml', /is outside the workspace/]
  ])('appspec naming %s is rejected', (_why, given, message) => {
    const error = readError({ appspec: given, 's3-bucket': undefined })
    expect(error.input).toBe('appspec')
    expect(error.describe()).toMatch(message)
  })

  test('bundle inputs set to something else than their default are listed as unused; their values are not checked', () => {
    const s = read({
      ...ECS,
      's3-bucket': 'my-bundles',
      'bundle-type': 'tgz',
      upload: 'auto',
      exclude: '*.log',
      's3-sse': 'nonsense',
      'ignore-application-stop-failures': 'false',
      's3-kms-key-id': 'alias/x'
    })
    expect(s.appspec?.unused).toEqual(['s3-bucket', 'exclude', 'bundle-type', 's3-sse', 's3-kms-key-id'])
    expect([s.s3Sse, s.s3KmsKeyId, s.bundleType]).toEqual([undefined, undefined, 'zip'])
  })
})

describe('deployment-group', () => {
  test.each([
    ['one group', 'production', ['production']],
    ['one per line', 'blue\ngreen\nstaging', ['blue', 'green', 'staging']],
    ['CRLF, blank lines, padding and comments', ' blue \r\n\r\n# canary first\r\ngreen', ['blue', 'green']]
  ])('%s', (_why, given, groups) => {
    expect(read({ 'deployment-group': given }).deploymentGroups).toEqual(groups)
  })

  test('a group listed twice is rejected, naming it', () => {
    const error = readError({ 'deployment-group': 'blue\ngreen\nblue' })
    expect(error.describe()).toBe("Input 'deployment-group' names 'blue' twice. Fix: list each group once.")
  })

  // Comment lines alone would otherwise give zero groups, and a run that deploys nothing.
  test('only comment lines count as missing', () => {
    const error = readError({ 'deployment-group': '# production' })
    expect(error.input).toBe('deployment-group')
  })
})

describe('description', () => {
  test.each([
    ['repository, short sha and run link', {}, 'octo/shop@0123456 https://github.com/octo/shop/actions/runs/42'],
    [
      'a GitHub Enterprise server',
      { GITHUB_SERVER_URL: 'https://ghe.example.com' },
      'octo/shop@0123456 https://ghe.example.com/octo/shop/actions/runs/42'
    ],
    ['no run id: no link', { GITHUB_RUN_ID: undefined }, 'octo/shop@0123456'],
    ['no repository: a 12-character sha', { GITHUB_REPOSITORY: undefined }, '0123456789ab']
  ])('generated from %s', (_why, envChange, expected) => {
    expect(read({}, { ...baseEnv(), ...envChange }).description).toBe(expected)
  })

  test('a given description is used as it is', () => {
    expect(read({ description: 'hotfix for #12' }).description).toBe('hotfix for #12')
  })

  test('a given description is cut to the limit with an ellipsis', () => {
    const description = read({ description: 'x'.repeat(DESCRIPTION_LIMIT * 2) }).description
    expect(description).toBe(`${'x'.repeat(DESCRIPTION_LIMIT - 1)}…`)
  })

  // The limit CreateDeployment enforces (DescriptionTooLongException past 512), not a stricter guess.
  test('the limit is the service limit, 512', () => {
    expect(DESCRIPTION_LIMIT).toBe(512)
  })

  test('a generated one too long for the limit shortens the repository part and keeps the run link whole', () => {
    const runUrl = `https://ghe.example.com/octo/${'r'.repeat(300)}/actions/runs/42`
    const description = read(
      {},
      { ...baseEnv(), GITHUB_SERVER_URL: 'https://ghe.example.com', GITHUB_REPOSITORY: `octo/${'r'.repeat(300)}` }
    ).description
    expect(description).toHaveLength(DESCRIPTION_LIMIT)
    expect(description.endsWith(` ${runUrl}`)).toBe(true)
    expect(description.startsWith(`octo/rrr`)).toBe(true)
    expect(description).toContain('… https://')
  })

  test('a run link longer than the limit itself is left out rather than cut', () => {
    const description = read({}, { ...baseEnv(), GITHUB_SERVER_URL: `https://${'h'.repeat(600)}.example.com` }).description
    expect(description).toBe('octo/shop@0123456')
  })

  // A lone surrogate at the cut would be an invalid string for CreateDeployment.
  test('a cut never splits a character in two', () => {
    const description = read({ description: `${'x'.repeat(DESCRIPTION_LIMIT - 2)}🚀🚀🚀` }).description
    expect(description).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/)
  })

  test('exactly the limit is not cut', () => {
    expect(read({ description: 'y'.repeat(DESCRIPTION_LIMIT) }).description).toBe('y'.repeat(DESCRIPTION_LIMIT))
  })
})

describe('SOURCE_DATE_EPOCH and the event payload (what dates the bundle when source-dir is not a git checkout)', () => {
  test('read from the environment: whole seconds, and GITHUB_EVENT_PATH as given', () => {
    const s = read(
      {},
      { ...baseEnv(), SOURCE_DATE_EPOCH: '1709940000', GITHUB_EVENT_PATH: '/home/runner/work/_temp/_github_workflow/event.json' }
    )
    expect([s.sourceDateEpoch, s.eventPath]).toEqual([1709940000, '/home/runner/work/_temp/_github_workflow/event.json'])
    expect([read().sourceDateEpoch, read().eventPath]).toEqual([undefined, undefined])
  })

  test.each(['yesterday', '1709940000.5', '-1', '2024-03-09T00:00:00Z'])(
    'SOURCE_DATE_EPOCH=%s is refused, naming the variable and the fix',
    value => {
      const error = readError({}, { ...baseEnv(), SOURCE_DATE_EPOCH: value })
      expect(error.describe()).toBe(
        `The SOURCE_DATE_EPOCH environment variable is '${value}', not a number of seconds since 1970-01-01 UTC. ` +
          'Fix: set it to a Unix time in whole seconds, e.g. the output of `git log -1 --format=%ct`, or unset it.'
      )
    }
  )
})

describe('command and the inputs it needs', () => {
  const NONE = { 'application-name': undefined, 'deployment-group': undefined, 's3-bucket': undefined }

  test.each(['watch', 'continue', 'stop'] as const)('%s needs only deployment-id: no application, group, bucket or checkout', command => {
    const s = read({ ...NONE, command, 'deployment-id': 'd-ABCDE1234', 'source-dir': 'does-not-exist' })
    expect(s).toMatchObject({ command, deploymentId: 'd-ABCDE1234', applicationName: '', deploymentGroups: [], s3Bucket: '' })
  })

  test('watch keeps application-name and deployment-group when given (the deployment must match them)', () => {
    const s = read({ command: 'watch', 'deployment-id': 'd-ABCDE1234' })
    expect(s.applicationName).toBe('shop')
    expect(s.deploymentGroups).toEqual(['production'])
  })

  test('register needs no deployment group; check does', () => {
    expect(read({ command: 'register', 'deployment-group': undefined }).deploymentGroups).toEqual([])
    expect(readError({ command: 'check', 'deployment-group': undefined }).input).toBe('deployment-group')
  })

  test('command is case-insensitive; auto-rollback-on-stop and wait-for-termination are booleans', () => {
    const s = read({ command: 'Stop', 'deployment-id': 'd-ABCDE1234', 'auto-rollback-on-stop': 'false' })
    expect(s.command).toBe('stop')
    expect(s.autoRollbackOnStop).toBe(false)
    expect(read({ 'wait-for-termination': 'true' }).waitForTermination).toBe(true)
  })

  test.each([
    [
      { command: 'rollout' },
      'command',
      /'rollout' is not a valid value\. Fix: use one of: deploy, check, register, watch, continue, stop\./
    ],
    [{ ...NONE, command: 'watch' }, 'deployment-id', /is required for command watch and was not set\. Fix: /],
    [{ 'deployment-id': 'd-ABCDE1234' }, 'deployment-id', /is set, but command deploy does not act on an existing deployment\. Fix: /],
    [{ command: 'stop', 'deployment-id': 'd-abc' }, 'deployment-id', /'d-abc' is not a CodeDeploy deployment id\. Fix: /],
    [{ command: 'stop', 'deployment-id': 'd-ABCDE1234', 'auto-rollback-on-stop': 'no' }, 'auto-rollback-on-stop', /is not a boolean/],
    [{ 'wait-for-termination': 'true', wait: 'false' }, 'wait-for-termination', /wait is false.* Fix: set `wait: true`/],
    [{ command: 'register', 'wait-for-termination': 'true' }, 'wait-for-termination', /command register never waits/]
  ])('%p: one error naming %s', (given, name, message) => {
    const error = readError(given)
    expect(error.input).toBe(name)
    expect(error.describe()).toMatch(message)
  })
})
