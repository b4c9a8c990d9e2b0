import { checkAppSpec, type AppSpec } from '../../src/appspec.js'
import { collectEntries } from '../../src/collect.js'
import { ActionError } from '../../src/errors.js'
import { buildTree, TempDirs, type Node } from './helpers/tree.js'

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
  return checkAppSpec(root, await collectEntries(root, exclude))
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
    ['version as a string', `version: "0.0"\nos: linux\n`],
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
    expect(spec.warnings[0]).toMatch(/^scripts\/before\.sh \(BeforeInstall hook\) is not executable: run `git update-index --chmod=\+x scripts\/before\.sh`/)
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
    expect(error.message).toMatch(/found appspec\.yaml at the root of .*, but CodeDeploy only reads appspec\.yml/)
    expect(error.describe()).toMatch(/Fix: rename appspec\.yaml to appspec\.yml\.$/)
  })

  test('a nested sub/appspec.yml: suggests source-dir: sub', async () => {
    const error = await checkError({ 'sub/appspec.yml': VALID, 'README.md': 'x' })
    expect(error.input).toBe('source-dir')
    expect(error.describe()).toMatch(/^Input 'source-dir': appspec\.yml is not at the root of .*; found sub\/appspec\.yml\. Fix: .*\(source-dir: sub\)/)
  })

  test('appspec.yml removed by an exclude pattern: names the exclude input', async () => {
    const error = await checkError({ ...SCRIPTS, 'appspec.yml': VALID }, ['*.yml'])
    expect(error.input).toBe('exclude')
    expect(error.describe()).toBe("Input 'exclude': appspec.yml is excluded from the bundle. Fix: remove the pattern that matches appspec.yml.")
  })

  test('no appspec anywhere: says what to add', async () => {
    const error = await checkError({ 'index.js': 'x' })
    expect(error.describe()).toMatch(/^Input 'source-dir': no appspec\.yml at the root of .* Fix: add appspec\.yml \(version: 0\.0, os: linux/)
  })
})

describe('appspec problems', () => {
  test.each([
    ['a YAML syntax error, with its line', 'version: 0.0\nos: linux\nhooks:\n\tBeforeInstall:\n', /^appspec\.yml line 4 is not valid YAML: tab characters must not be used in indentation\./],
    ['not a mapping', '- version: 0.0\n', /^appspec\.yml: is not a YAML mapping\./],
    ['version 1.0', 'os: linux\nversion: 1.0\n', /^appspec\.yml line 2: version is 1; CodeDeploy only reads version 0\.0\./],
    ['no version', 'os: linux\n', /^appspec\.yml: version is null; CodeDeploy only reads version 0\.0\./],
    ['os ubuntu', 'version: 0.0\nos: ubuntu\n', /^appspec\.yml line 2: os is "ubuntu"\./],
    ['os missing', 'version: 0.0\n', /^appspec\.yml: os is null\./],
    ['hooks as a list', 'version: 0.0\nos: linux\nhooks:\n  - BeforeInstall\n', /^appspec\.yml line 3: hooks must be a mapping of lifecycle event names/]
  ])('%s', async (_why, text, message) => {
    const error = await checkError({ ...SCRIPTS, 'appspec.yml': text })
    expect(error.message).toMatch(message)
    expect(error.describe()).toContain(' Fix: ')
  })

  test.each([
    ['reserved hook Install', '  Install:\n    - location: scripts/before.sh\n', /line 4: Install is run by the CodeDeploy agent itself; scripts cannot be attached to it\./],
    ['reserved hook DownloadBundle', '  DownloadBundle:\n    - location: scripts/before.sh\n', /line 4: DownloadBundle is run by the CodeDeploy agent itself/],
    ['unknown hook', '  AfterDeploy:\n    - location: scripts/before.sh\n', /line 4: 'AfterDeploy' is not an EC2\/on-premises lifecycle event\..* Fix: use one of: ApplicationStop, BeforeInstall/],
    ['a hook that is not a list', '  BeforeInstall: scripts/before.sh\n', /line 4: BeforeInstall must be a list of scripts/],
    ['a script without location', '  BeforeInstall:\n    - timeout: 10\n', /line 4: a script under BeforeInstall has no location\./],
    ['a location missing from the bundle', '  BeforeInstall:\n    - location: scripts/missing.sh\n', /line 5: BeforeInstall script 'scripts\/missing\.sh' is not in the bundle\./],
    ['timeout 0', '  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: 0\n', /line 6: timeout 0 of scripts\/before\.sh is not a whole number of seconds from 1 to 3600\./],
    ['timeout 3601', '  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: 3601\n', /line 6: timeout 3601 of scripts\/before\.sh is not a whole number/],
    ["timeout 'abc'", '  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: abc\n', /line 6: timeout "abc" of scripts\/before\.sh is not a whole number/],
    ['timeout 1.5', '  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: 1.5\n', /timeout 1\.5 of scripts\/before\.sh is not a whole number/]
  ])('%s', async (_why, hooks, message) => {
    const error = await checkError(withHooks(hooks))
    expect(error.message).toMatch(/^appspec\.yml line \d+: /)
    expect(`${error.message} Fix: ${error.fix}`).toMatch(message)
  })

  test('runas on windows', async () => {
    const error = await checkError(withHooks('  BeforeInstall:\n    - location: scripts/before.ps1\n      runas: Administrator\n', 'windows'))
    expect(error.describe()).toMatch(/^appspec\.yml line 6: runas \(on scripts\/before\.ps1\) is not supported on Windows\. Fix: remove runas\.$/i)
  })

  // BUG: ActionError.describe() upper-cases the first character of every message, so the user
  // reads "Appspec.yml line 6: ..." although the file must be named appspec.yml (lower case is
  // what CodeDeploy looks for). Fix: in describe(), do not capitalise when the first word is a
  // file name or code (contains '.', '/' or '`'), e.g. `/^[a-z]+\b(?![./`])/.test(text)` first.
  test.failing('the message names the file as appspec.yml, not Appspec.yml', async () => {
    const error = await checkError({ ...SCRIPTS, 'appspec.yml': 'version: 0.0\nos: ubuntu\n' })
    expect(error.describe()).toMatch(/^appspec\.yml line 2: /)
  })

  test('a hook location removed by an exclude pattern: the fix mentions exclude', async () => {
    const error = await checkError(withHooks('  BeforeInstall:\n    - location: scripts/before.sh\n'), ['scripts/*.sh'])
    expect(error.message).toMatch(/BeforeInstall script 'scripts\/before\.sh' is not in the bundle/)
    expect(error.describe()).toMatch(/Fix: add scripts\/before\.sh to source-dir \(and make sure no exclude pattern removes it\)/)
  })

  // BUG: a script that is on disk but excluded gets the same "is not in the bundle" message as a
  // missing one, while appspec.yml itself gets "is excluded" with input 'exclude'. Fix: in
  // readHooks, when fs.existsSync(path.join(sourceDir, location)) say "is excluded from the
  // bundle by an exclude pattern" with input: 'exclude' (pass sourceDir down to readHooks).
  test.failing('a hook location removed by an exclude pattern is reported as excluded', async () => {
    const error = await checkError(withHooks('  BeforeInstall:\n    - location: scripts/before.sh\n'), ['scripts/*.sh'])
    expect(error.message).toMatch(/excluded/)
  })
})

describe('appspec details the checker gets wrong', () => {
  // BUG: the line number comes from text.indexOf(`${event}:`), a substring search, so 'Install:'
  // is found inside 'BeforeInstall:' (line 4) and the error points at the wrong line. Same for
  // 'timeout' (first occurrence anywhere), 'os' (matches inside "hosts", "post"...) and 'runas'.
  // Fix: search for the key at the start of a line, e.g. new RegExp(`^\\s*-?\\s*${key}\\s*:`, 'm'),
  // and for per-script keys start the search at the line of that script's location.
  test.failing('a reserved Install hook after BeforeInstall is reported at its own line', async () => {
    const error = await checkError(withHooks('  BeforeInstall:\n    - location: scripts/before.sh\n  Install:\n    - location: scripts/start.sh\n'))
    expect(error.message).toMatch(/^appspec\.yml line 6: Install is run by the CodeDeploy agent/)
  })

  test.failing('a bad timeout on the second script is reported at its own line', async () => {
    const error = await checkError(withHooks('  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: 300\n    - location: scripts/start.sh\n      timeout: 5000\n'))
    expect(error.message).toMatch(/^appspec\.yml line 8: timeout 5000/)
  })

  test.failing('a bad os is reported at the os line even after a comment that contains "os"', async () => {
    const error = await checkError({ ...SCRIPTS, 'appspec.yml': '# deploys to the web hosts\nversion: 0.0\nos: ubuntu\n' })
    expect(error.message).toMatch(/^appspec\.yml line 3: os is "ubuntu"/)
  })

  // BUG: the agent runs File.join(deployment-archive, location), so `location: ./scripts/x.sh`
  // works on the instance, but the checker looks the text up as it is (only leading '/' are
  // dropped) and refuses a valid appspec. Fix: normalise with
  // path.posix.normalize(location).replace(/^(\.\/|\/)+/, '') before the lookup.
  test.failing('a location written ./scripts/start.sh is found in the bundle', async () => {
    const spec = await check(withHooks('  ApplicationStart:\n    - location: ./scripts/start.sh\n'))
    expect(spec.hooks.map(h => h.location)).toEqual(['scripts/start.sh'])
  })
})
