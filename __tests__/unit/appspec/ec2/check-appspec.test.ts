import { checkAppSpec, type AppSpec } from '../../../../src/appspec/ec2/check-appspec.js'
import { walkSourceTree } from '../../../../src/source/walk-tree.js'
import { ActionError } from '../../../../src/core/errors.js'
import { buildTree, TempDirs, type Node } from '../../../helpers/tree.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

const exe = (content = '#!/bin/sh\nexit 0\n'): Node => ({ content, mode: 0o755 })
const SCRIPTS: Record<string, Node> = {
  'scripts/before.sh': exe(),
  'scripts/start.sh': exe(),
  'scripts/validate.sh': exe(),
  'scripts/before.ps1': 'Write-Host hi'
}

const VALID = `version: 0.0
os: linux
files:
  - source: /
    destination: /srv/app
hooks:
  BeforeInstall:
    - location: scripts/before.sh
      timeout: 300
      runas: root
  ApplicationStart:
    - location: /scripts/start.sh
    - location: scripts/validate.sh
      timeout: 3600
  ValidateService:
`

/** Builds the tree, collects it like the action does, and checks its appspec. */
async function check(spec: Record<string, Node>, exclude: string[] = []): Promise<AppSpec> {
  const root = buildTree(temp.make(), spec)
  return checkAppSpec(root, await walkSourceTree(root, exclude))
}

async function checkError(spec: Record<string, Node>, exclude: string[] = []): Promise<ActionError> {
  const error: unknown = await check(spec, exclude).then(
    result => new Error(`expected an ActionError, got ${JSON.stringify(result)}`),
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}

/** An appspec.yml with these hooks (YAML text indented under `hooks:`). */
const withHooks = (hooks: string, os = 'linux'): Record<string, Node> => ({
  ...SCRIPTS,
  'appspec.yml': `version: 0.0\nos: ${os}\nhooks:\n${hooks}`
})

describe('a valid appspec', () => {
  test('is parsed into its hooks, leading slashes dropped, empty hooks ignored', async () => {
    const spec = await check({ ...SCRIPTS, 'appspec.yml': VALID })
    expect(spec).toEqual({
      os: 'linux',
      hooks: [
        { event: 'BeforeInstall', location: 'scripts/before.sh', timeout: 300, runas: 'root' },
        { event: 'ApplicationStart', location: 'scripts/start.sh', timeout: undefined, runas: undefined },
        { event: 'ApplicationStart', location: 'scripts/validate.sh', timeout: 3600, runas: undefined }
      ],
      warnings: []
    } satisfies AppSpec)
  })

  test.each([
    ['version 0 (the agent reads it as 0.0)', 'version: 0\nos: linux\n'],
    ['no hooks at all', 'version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /srv\n'],
    ['windows with a hook', 'version: 0.0\nos: windows\nhooks:\n  BeforeInstall:\n    - location: scripts/before.ps1\n      timeout: 60\n'],
    ['CRLF line ends', 'version: 0.0\r\nos: linux\r\nhooks:\r\n  AfterInstall:\r\n    - location: scripts/start.sh\r\n']
  ])('%s', async (_why, text) => {
    const spec = await check({ ...SCRIPTS, 'appspec.yml': text })
    expect(spec.warnings).toEqual([])
    expect(spec.os).toBe(text.includes('windows') ? 'windows' : 'linux')
  })

  test('a linux hook script without its exec bit is a warning, not an error', async () => {
    const spec = await check({
      ...SCRIPTS,
      'scripts/before.sh': { content: '#!/bin/sh\n', mode: 0o644 },
      'appspec.yml': VALID
    })
    expect(spec.hooks).toHaveLength(3)
    expect(spec.warnings).toHaveLength(1)
    expect(spec.warnings[0]).toMatch(
      /^scripts\/before\.sh \(BeforeInstall hook\) is not executable: run `git update-index --chmod=\+x scripts\/before\.sh`/
    )
  })

  test('on windows the exec bit does not matter', async () => {
    const spec = await check(withHooks('  BeforeInstall:\n    - location: scripts/before.ps1\n', 'windows'))
    expect(spec.warnings).toEqual([])
    expect(spec.hooks.map(h => h.location)).toEqual(['scripts/before.ps1'])
  })
})

describe('finding appspec.yml', () => {
  test('a lone appspec.yaml: says CodeDeploy only reads appspec.yml and to rename it', async () => {
    const error = await checkError({ ...SCRIPTS, 'appspec.yaml': VALID })
    expect(error.message).toMatch(/found appspec\.yaml at the root of .*, but CodeDeploy only reads appspec\.yml/i)
    expect(error.describe()).toMatch(
      /Fix: rename appspec\.yaml to appspec\.yml \(for an ECS or Lambda application, set the appspec input to its path instead\)\.$/
    )
  })

  test('a nested sub/appspec.yml: suggests source-dir: sub', async () => {
    const error = await checkError({ 'sub/appspec.yml': VALID, 'README.md': 'x' })
    expect(error.input).toBe('source-dir')
    expect(error.describe()).toMatch(
      /^Input 'source-dir': appspec\.yml is not at the root of .*; found sub\/appspec\.yml\. Fix: .*\(source-dir: sub\)/
    )
  })

  test('appspec.yml removed by an exclude pattern: names the exclude input', async () => {
    const error = await checkError({ ...SCRIPTS, 'appspec.yml': VALID }, ['*.yml'])
    expect(error.input).toBe('exclude')
    expect(error.describe()).toBe(
      "Input 'exclude': appspec.yml is excluded from the bundle. Fix: remove the pattern that matches appspec.yml."
    )
  })

  test('no appspec anywhere: says what to add', async () => {
    const error = await checkError({ 'index.js': 'x' })
    expect(error.describe()).toMatch(
      /^Input 'source-dir': no appspec\.yml at the root of .* Fix: add appspec\.yml \(version: 0\.0, os: linux/i
    )
  })
})

describe('appspec problems', () => {
  test.each([
    [
      'a YAML syntax error, with its line',
      'version: 0.0\nos: linux\nhooks:\n\tBeforeInstall:\n',
      /^appspec\.yml line 4 is not valid YAML: tab characters must not be used in indentation\./
    ],
    ['not a mapping', '- version: 0.0\n', /^appspec\.yml: is not a YAML mapping\./],
    ['version 1.0', 'os: linux\nversion: 1.0\n', /^appspec\.yml line 2: version is 1; CodeDeploy only reads version 0\.0\./],
    ['no version', 'os: linux\n', /^appspec\.yml: version is null; CodeDeploy only reads version 0\.0\./],
    ['os ubuntu', 'version: 0.0\nos: ubuntu\n', /^appspec\.yml line 2: os is "ubuntu"\./],
    ['os missing', 'version: 0.0\n', /^appspec\.yml: os is null\./],
    [
      'hooks as a list',
      'version: 0.0\nos: linux\nhooks:\n  - BeforeInstall\n',
      /^appspec\.yml line 3: hooks must be a mapping of lifecycle event names/
    ]
  ])('%s', async (_why, text, message) => {
    const error = await checkError({ ...SCRIPTS, 'appspec.yml': text })
    expect(error.message).toMatch(message)
    expect(error.describe()).toContain(' Fix: ')
  })

  test.each([
    [
      'reserved hook Install',
      '  Install:\n    - location: scripts/before.sh\n',
      /line 4: Install is run by the CodeDeploy agent itself; scripts cannot be attached to it\./
    ],
    [
      'reserved hook DownloadBundle',
      '  DownloadBundle:\n    - location: scripts/before.sh\n',
      /line 4: DownloadBundle is run by the CodeDeploy agent itself/
    ],
    [
      'unknown hook',
      '  AfterDeploy:\n    - location: scripts/before.sh\n',
      /line 4: 'AfterDeploy' is not an EC2\/on-premises lifecycle event\..* Fix: use one of: ApplicationStop, BeforeInstall/
    ],
    ['a hook that is not a list', '  BeforeInstall: scripts/before.sh\n', /line 4: BeforeInstall must be a list of scripts/],
    ['a script without location', '  BeforeInstall:\n    - timeout: 10\n', /line 5: a script under BeforeInstall has no location\./],
    [
      'a location missing from the bundle',
      '  BeforeInstall:\n    - location: scripts/missing.sh\n',
      /line 5: BeforeInstall script 'scripts\/missing\.sh' is not in the bundle\./
    ],
    [
      'timeout 0',
      '  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: 0\n',
      /line 6: timeout 0 of scripts\/before\.sh is not a whole number of seconds from 1 to 3600\./
    ],
    [
      'timeout 3601',
      '  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: 3601\n',
      /line 6: timeout 3601 of scripts\/before\.sh is not a whole number/
    ],
    [
      "timeout 'abc'",
      '  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: abc\n',
      /line 6: timeout "abc" of scripts\/before\.sh is not a whole number/
    ],
    [
      'timeout 1.5',
      '  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: 1.5\n',
      /timeout 1\.5 of scripts\/before\.sh is not a whole number/
    ]
  ])('%s', async (_why, hooks, message) => {
    const error = await checkError(withHooks(hooks))
    expect(error.message).toMatch(/^appspec\.yml line \d+: /)
    expect(`${error.message} Fix: ${error.fix}`).toMatch(message)
  })

  test('runas on windows', async () => {
    const error = await checkError(
      withHooks('  BeforeInstall:\n    - location: scripts/before.ps1\n      runas: Administrator\n', 'windows')
    )
    expect(error.describe()).toMatch(
      /^appspec\.yml line 6: runas \(on scripts\/before\.ps1\) is not supported on Windows\. Fix: remove runas\.$/i
    )
  })

  // ActionError.describe() used to upper-case the first character ("Appspec.yml line 2: ..."),
  // misnaming the file CodeDeploy looks for; this keeps it fixed.
  test('the message names the file as appspec.yml, not Appspec.yml', async () => {
    const error = await checkError({ ...SCRIPTS, 'appspec.yml': 'version: 0.0\nos: ubuntu\n' })
    expect(error.describe()).toMatch(/^appspec\.yml line 2: /)
  })

  test('a hook location removed by an exclude pattern: the fix mentions exclude', async () => {
    const error = await checkError(withHooks('  BeforeInstall:\n    - location: scripts/before.sh\n'), ['scripts/*.sh'])
    expect(error.message).toMatch(/BeforeInstall script 'scripts\/before\.sh' is not in the bundle: it is excluded/)
    expect(error.input).toBe('exclude')
    expect(error.describe()).toMatch(/Fix: take that pattern out of exclude, or add '!scripts\/before\.sh' after it\.$/)
  })

  // Fixed: an excluded script used to get the same message as a missing one.
  test('a hook location removed by an exclude pattern is reported as excluded', async () => {
    const error = await checkError(withHooks('  BeforeInstall:\n    - location: scripts/before.sh\n'), ['scripts/*.sh'])
    expect(error.message).toMatch(/excluded/)
  })
})

describe('appspec details the checker used to get wrong', () => {
  // Fixed: line numbers came from a substring search ('Install:' found inside 'BeforeInstall:',
  // 'os' inside a comment); they now come from the key's own line (src/appspec-lines.ts).
  test('a reserved Install hook after BeforeInstall is reported at its own line', async () => {
    const error = await checkError(
      withHooks('  BeforeInstall:\n    - location: scripts/before.sh\n  Install:\n    - location: scripts/start.sh\n')
    )
    expect(error.message).toMatch(/^appspec\.yml line 6: Install is run by the CodeDeploy agent/)
  })

  test('a bad timeout on the second script is reported at its own line', async () => {
    const error = await checkError(
      withHooks(
        '  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: 300\n    - location: scripts/start.sh\n      timeout: 5000\n'
      )
    )
    expect(error.message).toMatch(/^appspec\.yml line 8: timeout 5000/)
  })

  test('a bad os is reported at the os line even after a comment that contains "os"', async () => {
    const error = await checkError({ ...SCRIPTS, 'appspec.yml': '# deploys to the web hosts\nversion: 0.0\nos: ubuntu\n' })
    expect(error.message).toMatch(/^appspec\.yml line 3: os is "ubuntu"/)
  })

  // Fixed: the agent runs File.join(deployment-archive, location), so `./scripts/x.sh` works there too.
  test('a location written ./scripts/start.sh is found in the bundle', async () => {
    const spec = await check(withHooks('  ApplicationStart:\n    - location: ./scripts/start.sh\n'))
    expect(spec.hooks.map(h => h.location)).toEqual(['scripts/start.sh'])
  })
})

describe('a hook location that is a symlink', () => {
  const hooks = '  ApplicationStart:\n    - location: scripts/run.sh\n'

  test('to a script in the bundle: accepted', async () => {
    const spec = await check({ ...withHooks(hooks), 'scripts/run.sh': { symlink: 'start.sh' } })
    expect(spec.hooks.map(h => h.location)).toEqual(['scripts/run.sh'])
  })

  test('dangling: refused, saying the link leads nowhere', async () => {
    const error = await checkError({ ...withHooks(hooks), 'scripts/run.sh': { symlink: 'gone.sh' } })
    expect(error.describe()).toMatch(/ApplicationStart script 'scripts\/run\.sh' is a symlink that does not lead to a file in the bundle/)
  })

  test('to a directory: refused', async () => {
    const error = await checkError({ ...withHooks(hooks), 'scripts/run.sh': { symlink: '.' } })
    expect(error.describe()).toMatch(/ApplicationStart script 'scripts\/run\.sh' is a symlink to a directory, not a file/)
  })

  test('to a file left out by exclude: refused (the link would dangle on the instance)', async () => {
    const error = await checkError({ ...withHooks(hooks), 'scripts/run.sh': { symlink: 'start.sh' } }, ['scripts/start.sh'])
    expect(error.describe()).toMatch(/is a symlink that does not lead to a file in the bundle/)
  })
})

describe('a files mapping with a symlink that leaves its source', () => {
  const files = (source: string): string => `version: 0.0\nos: linux\nfiles:\n  - source: ${source}\n    destination: /etc/app\n`

  test('warned: on the instance the link points outside what the mapping installs', async () => {
    const spec = await check({
      ...SCRIPTS,
      'appspec.yml': files('config'),
      'config/app.conf': 'x',
      'config/shared': { symlink: '../scripts/start.sh' }
    })
    expect(spec.warnings).toEqual([
      expect.stringMatching(/^config\/shared is a symlink to \.\.\/scripts\/start\.sh, outside files source 'config'/)
    ])
  })

  test('a link that stays inside the source, or a source of the whole bundle: no warning', async () => {
    const inside = await check({
      ...SCRIPTS,
      'appspec.yml': files('config'),
      'config/app.conf': 'x',
      'config/link': { symlink: 'app.conf' }
    })
    expect(inside.warnings).toEqual([])
    const whole = await check({ ...SCRIPTS, 'appspec.yml': files('/'), 'config/shared': { symlink: '../scripts/start.sh' } })
    expect(whole.warnings).toEqual([])
  })
})
