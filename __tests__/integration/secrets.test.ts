/**
 * Nothing leaked, through the built action: `.git/` (where actions/checkout leaves a token) never
 * goes into a bundle whatever `exclude` says; the AWS credentials and the GitHub token never show
 * in the log, the outputs, the summary or what the services were sent, on success and on every
 * failure path; symlinks out of source-dir are refused; odd file names are stored as they are
 * (or refused), never as a path out of the bundle, and never as a workflow command in the log.
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { archiveEntries, type ArchiveEntry } from '../helpers/archive.js'
import { BUCKET, errorsOf, runWith, useTestbed, type RunResult, type RunWith } from './harness.js'

const { startGithubApi } = await import('../../testbed/harness/github-api.mjs')

const SHA = '4444444444444444444444444444444444444444'
/** What makeWorkspace() writes into app/.git/config, as actions/checkout does. */
const CHECKOUT_TOKEN = 'c2VjcmV0LXRva2Vu'

const bed = useTestbed({ instances: 2, sha: SHA })

const run = (options: RunWith = {}): Promise<RunResult> => runWith(bed, options)

/** The one bundle the run uploaded, read back from S3 and opened. */
async function bundleEntries(type: 'zip' | 'tgz'): Promise<ArchiveEntry[]> {
  const keys = await bed.tb.s3.listKeys(BUCKET)
  expect(keys).toEqual([`app/${SHA}.${type}`])
  const object = await bed.tb.s3.getObject(BUCKET, keys[0]!)
  return archiveEntries(object.body, type)
}

/** Path segments of an entry name as any extractor may read it: '/' or '\' separate. */
const segments = (name: string): string[] => name.replace(/\/$/, '').split(/[/\\]/)

/** Log lines as the runner reads them: it splits on \r as well as \n. */
const runnerLines = (stdout: string): string[] => stdout.split(/\r\n|\r|\n/)
/** Workflow commands the action itself issues; anything else starting with '::' is forged. */
const OWN_COMMANDS = /^::(group|endgroup|add-mask|warning|error|notice|debug)( [^:]*)?::/

describe('.git/ never goes into a bundle', () => {
  beforeEach(() => {
    // A submodule checkout (a .git file), a vendored repository, and names that only look alike.
    fs.mkdirSync(path.join(bed.ws.app, 'vendor', 'lib', '.git'), { recursive: true })
    fs.writeFileSync(
      path.join(bed.ws.app, 'vendor', 'lib', '.git', 'config'),
      `[http]\n\textraheader = AUTHORIZATION: basic ${CHECKOUT_TOKEN}\n`
    )
    fs.writeFileSync(path.join(bed.ws.app, 'vendor', 'lib', 'index.js'), 'module.exports = 1\n')
    fs.mkdirSync(path.join(bed.ws.app, 'sub'))
    fs.writeFileSync(path.join(bed.ws.app, 'sub', '.git'), 'gitdir: ../.git/modules/sub\n')
    fs.writeFileSync(path.join(bed.ws.app, '.gitignore'), 'node_modules/\n')
    fs.mkdirSync(path.join(bed.ws.app, '.github', 'workflows'), { recursive: true })
    fs.writeFileSync(path.join(bed.ws.app, '.github', 'workflows', 'ci.yml'), 'on: push\n')
  })

  const negations = ['!.git/', '!.git', '!**/.git/**', '!.git/config\n!**/.git/config\n!sub/.git', '!*\n!.*\n!**']
  const cases = (['zip', 'tgz'] as const).flatMap(type => negations.map(exclude => [type, exclude] as const))

  test.each(cases)('%s bundle, exclude %j', async (type, exclude) => {
    const result = await run({ inputs: { 'bundle-type': type, exclude, wait: 'false' } })
    expect(result.code).toBe(0)
    const entries = await bundleEntries(type)
    const names = entries.map(e => e.name)
    expect(names.filter(name => segments(name).includes('.git'))).toEqual([])
    // Not over-eager: what merely starts with .git stays, and so does the vendored code.
    expect(names).toEqual(expect.arrayContaining(['.gitignore', '.github/workflows/ci.yml', 'vendor/lib/index.js', 'appspec.yml']))
    for (const entry of entries) expect(entry.data.toString('latin1')).not.toContain(CHECKOUT_TOKEN)
  })
})

describe('credentials and tokens never show', () => {
  let github: Awaited<ReturnType<typeof startGithubApi>>
  beforeEach(async () => {
    github = await startGithubApi()
  })
  afterEach(async () => {
    await github.stop()
  })

  /** Unique per run, shaped like the real thing, so any echo of them is found. */
  const secrets = () => ({
    githubToken: `ghs_${randomBytes(18).toString('hex')}`,
    sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(48).toString('base64url')}`,
    secretKey: `wJalr${randomBytes(15).toString('base64url')}EXAMPLEKEY`
  })

  type Secrets = ReturnType<typeof secrets>

  interface Scenario {
    name: string
    /** Credentials S3 accepts (S3RVER's), or the unique secret key (S3 then refuses them). */
    badKeys?: boolean
    inputs?: Record<string, string>
    prepare?: () => void
    cancelAt?: RegExp
    /** The step's outcome, to be sure the path was taken. */
    code: number
    /** false: the run stops before reading github-token, so there is nothing to mask. */
    masks?: false
    says?: RegExp
  }

  const scenarios: Scenario[] = [
    { name: 'a deployment that succeeds', code: 0 },
    {
      name: 'a deployment that fails, with a log tail',
      prepare: () => bed.tb.codedeploy.failHook({ event: 'AfterInstall', logTail: '[stderr]npm ERR! 403 Forbidden' }),
      code: 1,
      says: /AfterInstall failed/
    },
    { name: 'GitHub refusing the token', prepare: () => (github.failWith = 401), code: 0 },
    { name: 'S3 refusing the AWS keys', badKeys: true, code: 1, says: /s3:\/\// },
    {
      name: 'S3 access denied (bucket owned by another account)',
      inputs: { 'expected-bucket-owner': '999999999999', upload: 'always' },
      code: 1,
      says: /Access denied/
    },
    {
      name: 'CodeDeploy failing for good',
      prepare: () => bed.tb.codedeploy.injectFault({ operation: 'GetApplication', kind: '5xx', count: 1000 }),
      code: 1,
      says: /reading the application failed/
    },
    { name: 'bad input', inputs: { sha: 'not-a-sha' }, code: 1, says: /Input 'sha'/, masks: false },
    { name: 'a cancelled deployment', cancelAt: /^Created deployment d-/, code: 1, says: /cancel/ }
  ]

  async function runScenario(s: Scenario, secret: Secrets): Promise<RunResult> {
    s.prepare?.()
    const env: Record<string, string> = {
      AWS_SESSION_TOKEN: secret.sessionToken,
      GITHUB_API_URL: github.url,
      // Step debug logging on: debug lines must not carry secrets either.
      RUNNER_DEBUG: '1',
      ACTIONS_STEP_DEBUG: 'true'
    }
    if (s.badKeys) Object.assign(env, { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: secret.secretKey })
    const pattern = s.cancelAt
    return run({
      inputs: { 'github-environment': 'production', 'github-token': secret.githubToken, ...s.inputs },
      env,
      ...(pattern ? { onLine: (line: string, child: ChildProcess) => void (pattern.test(line) && child.kill('SIGTERM')) } : {})
    })
  }

  test.each(scenarios.map(s => [s.name, s] as const))('%s', async (_name, s) => {
    const secret = secrets()
    const result = await runScenario(s, secret)
    expect(result.code).toBe(s.code)
    if (s.says) expect(errorsOf(result).join('\n')).toMatch(s.says)

    // The token is masked before anything else is printed, so the runner hides it everywhere.
    if (s.masks !== false) expect(result.stdout.split('\n')[0]).toBe(`::add-mask::${secret.githubToken}`)

    const shown = {
      log: result.stdout
        .split('\n')
        .filter((line: string) => !line.startsWith('::add-mask::'))
        .join('\n'),
      stderr: result.stderr,
      outputs: JSON.stringify(result.outputs),
      summary: result.summary,
      'CodeDeploy requests': JSON.stringify(bed.tb.codedeploy.requests.map((r: { input: unknown }) => r.input)),
      'S3 requests': JSON.stringify(bed.tb.s3.requests.map(r => [r.path, r.query])),
      'GitHub request bodies': JSON.stringify(github.requests.map(r => [r.path, r.body]))
    }
    const objects = await bed.tb.s3.listKeys(BUCKET)
    for (const key of objects)
      Object.assign(shown, { [`s3://${BUCKET}/${key} metadata`]: JSON.stringify((await bed.tb.s3.getObject(BUCKET, key)).metadata) })
    for (const [where, text] of Object.entries(shown)) {
      for (const [what, value] of Object.entries(secret)) {
        expect(`${where}: ${text.includes(value) ? `shows the ${what}` : 'clean'}`).toBe(`${where}: clean`)
      }
    }
  })

  test('the token really is used (the scan is not vacuous)', async () => {
    const secret = secrets()
    const result = await runScenario({ name: 'used', code: 0 }, secret)
    expect(result.code).toBe(0)
    expect(github.requests.map(r => r.authorization)).toContain(`token ${secret.githubToken}`)
  })
})

describe('symlinks', () => {
  const outside = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cda-outside-'))
    fs.writeFileSync(path.join(dir, 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----\n')
    return dir
  }

  const refused: Array<[string, (app: string) => void, string]> = [
    ['an absolute link to /etc/passwd', app => fs.symlinkSync('/etc/passwd', path.join(app, 'passwd')), 'passwd'],
    [
      'a relative link out of source-dir, still inside the workspace',
      app => fs.symlinkSync('../.git-credentials', path.join(app, 'creds')),
      'creds'
    ],
    [
      'a relative link climbing to the filesystem root',
      app => fs.symlinkSync('../../../../../../../../etc/shadow', path.join(app, 'scripts', 'shadow')),
      'scripts/shadow'
    ],
    ['a directory link out of source-dir', app => fs.symlinkSync(outside(), path.join(app, 'keys')), 'keys'],
    [
      'a chain of links that only escapes once resolved',
      app => {
        fs.symlinkSync('hop', path.join(app, 'a-link'))
        fs.symlinkSync(path.relative(app, outside()), path.join(app, 'hop'))
      },
      'a-link'
    ]
  ]

  test.each(refused)('%s is refused before anything is uploaded', async (_name, make, link) => {
    fs.writeFileSync(path.join(bed.ws.root, '.git-credentials'), `https://x-access-token:${CHECKOUT_TOKEN}@github.com\n`)
    make(bed.ws.app)
    const result = await run()
    expect(result.code).toBe(1)
    const errors = errorsOf(result)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(`Input 'source-dir': symlink '${link}' points to`)
    expect(errors[0]).toMatch(/Fix: .*exclude/)
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(bed.tb.s3.requests.filter(r => r.method === 'PUT' && r.bucket === BUCKET && r.key)).toEqual([])
    expect(bed.tb.codedeploy.deployments()).toEqual([])
  })

  test('the fix the error names works: an escaping link listed in exclude is left out', async () => {
    fs.symlinkSync('/etc/passwd', path.join(bed.ws.app, 'passwd'))
    const result = await run({ inputs: { exclude: 'passwd', wait: 'false' } })
    expect(result.code).toBe(0)
    expect((await bundleEntries('zip')).map(e => e.name)).not.toContain('passwd')
  })

  test.each(['zip', 'tgz'] as const)('links inside source-dir are stored as links in a %s, never as the file they point to', async type => {
    fs.symlinkSync('scripts/start_server.sh', path.join(bed.ws.app, 'start'))
    fs.symlinkSync('scripts', path.join(bed.ws.app, 'bin'))
    // Inside source-dir, but to a file that is never bundled: only the link text may travel.
    fs.symlinkSync('.git/config', path.join(bed.ws.app, 'gitconfig'))
    const result = await run({ inputs: { 'bundle-type': type, wait: 'false' } })
    expect(result.code).toBe(0)
    const entries = await bundleEntries(type)
    const links = Object.fromEntries(entries.filter(e => e.kind === 'symlink').map(e => [e.name, e.data.toString()]))
    expect(links).toEqual({ bin: 'scripts', gitconfig: '.git/config', start: 'scripts/start_server.sh' })
    for (const entry of entries) expect(entry.data.toString('latin1')).not.toContain(CHECKOUT_TOKEN)
  })
})

describe('odd file names', () => {
  /** Legal on Linux, every one of them. */
  const NAMES = [
    '..foo',
    '...',
    'a..b',
    '.. ',
    ' leading space',
    '-rf',
    'percent%0Aencoded',
    'ünïcødé-名前.txt',
    'tab\tname',
    'bell\u0007',
    'esc\u001b[31mred',
    'del\u007f'
  ]

  test.each(['zip', 'tgz'] as const)('are stored under exactly their names in a %s, inside the bundle', async type => {
    fs.mkdirSync(path.join(bed.ws.app, 'odd'))
    for (const name of NAMES) fs.writeFileSync(path.join(bed.ws.app, 'odd', name), `content of ${JSON.stringify(name)}\n`)
    const result = await run({ inputs: { 'bundle-type': type, wait: 'false' } })
    expect(result.code).toBe(0)
    const entries = await bundleEntries(type)
    const stored = entries.filter(e => e.name.startsWith('odd/') && e.kind === 'file')
    expect(stored.map(e => e.name).sort()).toEqual(NAMES.map(n => `odd/${n}`).sort())
    for (const entry of stored) expect(entry.data.toString()).toBe(`content of ${JSON.stringify(entry.name.slice(4))}\n`)
    for (const entry of entries) {
      expect(path.posix.isAbsolute(entry.name)).toBe(false)
      expect(segments(entry.name)).not.toContain('..')
    }
  })

  // '\\' is a separator to Windows and many unzip tools: such a name could unpack outside the deployment.
  test.each(['zip', 'tgz'] as const)('a name with backslashes that reads as ..\\..\\ is refused or neutralised in a %s', async type => {
    fs.writeFileSync(path.join(bed.ws.app, '..\\..\\evil.sh'), '#!/bin/sh\necho pwned\n')
    const result = await run({ inputs: { 'bundle-type': type, wait: 'false' } })
    if (result.code === 0) {
      for (const entry of await bundleEntries(type)) expect(segments(entry.name)).not.toContain('..')
    } else {
      expect(errorsOf(result)).toEqual([expect.stringMatching(/evil\.sh.*Fix: /)])
      expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    }
  })

  test('a name with a line break cannot forge a workflow command: refused, or stored and never echoed as one', async () => {
    const name = 'x\n::error::forged-by-file-name\r::add-mask::forged'
    fs.writeFileSync(path.join(bed.ws.app, name), 'x\n')
    fs.symlinkSync('/etc/passwd', path.join(bed.ws.app, `link\n::warning::forged-by-link-name`))
    const result = await run()
    expect(result.code).toBe(1)
    expect(runnerLines(result.stdout).filter(line => /^::[a-z-]+( [^:]*)?::forged/.test(line))).toEqual([])
    expect(runnerLines(result.stdout).filter(line => line.startsWith('::') && !OWN_COMMANDS.test(line))).toEqual([])
    expect(errorsOf(result)).toHaveLength(1)
  })
})

describe('text from the instances cannot forge workflow commands', () => {
  // The runner also ends a line at a lone \r: every piece of the tail must stay behind "| ".
  test('a log tail with carriage returns stays inside the "| " block', async () => {
    bed.tb.codedeploy.failHook({ event: 'ApplicationStart', logTail: 'starting\r::error::forged-by-log-tail\r\n::add-mask::forged\rdone' })
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('forged-by-log-tail')
    expect(runnerLines(result.stdout).filter(line => /^::(error|add-mask)::forged/.test(line))).toEqual([])
  })

  test('a log tail\'s lines are printed behind "| ", never at the start of a line', async () => {
    bed.tb.codedeploy.failHook({
      event: 'ApplicationStart',
      logTail: 'starting\n::error::forged-by-log-tail\n::set-output name=status::Succeeded\ndone'
    })
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('| ::error::forged-by-log-tail')
    expect(result.stdout.split('\n').filter((line: string) => /^::(error|set-output)::?.*forged|^::set-output/.test(line))).toEqual([])
    expect(result.outputs['status']).toBe('Failed')
  })
})
