/**
 * Bad input, through the built action: every mistake gets exactly one error that names the input
 * (or the file) at fault and the fix, the step exits non-zero, and neither server has anything to
 * show for it: no S3 write of any kind, no multipart upload, no deployment.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { BUCKET, errorsOf, runWith, SAMPLE_APP_INPUTS, useTestbed, type Workspace } from './harness.js'

const SHA = '2222222222222222222222222222222222222222'
const WRITES = new Set(['PUT', 'POST', 'DELETE'])

interface Case {
  /** What is wrong, as a user would say it. */
  name: string
  /** Inputs over the valid baseline; undefined: the input is not set at all. */
  inputs?: Record<string, string | undefined>
  env?: Record<string, string>
  setup?: (ws: Workspace) => void
  /** What the error must name: the input (`Input 'x'`) or the file at fault. */
  names: string
  /** What it must say about the problem. */
  says: RegExp
}

// One testbed for the whole matrix: nothing may change its state, and each case checks that.
const bed = useTestbed({
  per: 'file',
  instances: 2,
  applications: [{ name: 'sample-app' }, { name: 'lambda-app', computePlatform: 'Lambda' }],
  sha: SHA,
  inputs: { ...SAMPLE_APP_INPUTS, 's3-key-prefix': 'sample-app/' }
})
const cleanups: Array<() => void> = []

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

const write = (ws: Workspace, rel: string, text: string): void => {
  fs.mkdirSync(path.dirname(path.join(ws.app, rel)), { recursive: true })
  fs.writeFileSync(path.join(ws.app, rel), text)
}
const appspec = (body: string) => (ws: Workspace) => write(ws, 'appspec.yml', body)
const HOOK = (event: string, extra = '') =>
  `version: 0.0\nos: linux\nhooks:\n  ${event}:\n    - location: scripts/start_server.sh\n${extra}`

/** A directory outside the workspace holding a valid app, removed after the case. */
function outsideApp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cda-outside-'))
  fs.cpSync(path.resolve('examples', 'sample-app'), dir, { recursive: true })
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

const input = (name: string) => `Input '${name}'`

// A table: one mistake a line.
// prettier-ignore
const cases: Case[] = [
  // Required inputs: not set, blank, or only a comment.
  { name: 'application-name not set', inputs: { 'application-name': undefined }, names: input('application-name'), says: /is required and was not set/ },
  { name: 'application-name blank', inputs: { 'application-name': '   ' }, names: input('application-name'), says: /is required/ },
  { name: 'deployment-group not set', inputs: { 'deployment-group': undefined }, names: input('deployment-group'), says: /is required/ },
  { name: 'deployment-group blank', inputs: { 'deployment-group': ' \n \n' }, names: input('deployment-group'), says: /is required/ },
  { name: 'deployment-group only a comment', inputs: { 'deployment-group': '# production' }, names: input('deployment-group'), says: /no group name/ },
  { name: 'deployment-group names a group twice', inputs: { 'deployment-group': 'production\nproduction' }, names: input('deployment-group'), says: /twice/ },
  { name: 's3-bucket not set', inputs: { 's3-bucket': undefined }, names: input('s3-bucket'), says: /is required/ },
  { name: 's3-bucket blank', inputs: { 's3-bucket': '\t' }, names: input('s3-bucket'), says: /is required/ },

  // Enumerations and booleans.
  { name: 'bundle-type rar', inputs: { 'bundle-type': 'rar' }, names: input('bundle-type'), says: /'rar' is not a valid value.*zip, tar, tgz/ },
  { name: 'upload sometimes', inputs: { upload: 'sometimes' }, names: input('upload'), says: /auto, always, never/ },
  { name: 'file-exists-behavior REPLACE', inputs: { 'file-exists-behavior': 'REPLACE' }, names: input('file-exists-behavior'), says: /DISALLOW, OVERWRITE, RETAIN/ },
  { name: 's3-sse SSE-C', inputs: { 's3-sse': 'SSE-C' }, names: input('s3-sse'), says: /AES256, aws:kms/ },
  { name: 'wait yes', inputs: { wait: 'yes' }, names: input('wait'), says: /not a boolean.*true or false/ },
  { name: 'stop-on-cancel maybe', inputs: { 'stop-on-cancel': 'maybe' }, names: input('stop-on-cancel'), says: /not a boolean/ },
  { name: 'ignore-application-stop-failures 1', inputs: { 'ignore-application-stop-failures': '1' }, names: input('ignore-application-stop-failures'), says: /not a boolean/ },

  // Numbers.
  { name: 'timeout-minutes ten', inputs: { 'timeout-minutes': 'ten' }, names: input('timeout-minutes'), says: /'ten' is not a number of minutes/ },
  { name: 'timeout-minutes 30m', inputs: { 'timeout-minutes': '30m' }, names: input('timeout-minutes'), says: /not a number of minutes/ },
  { name: 'timeout-minutes 0', inputs: { 'timeout-minutes': '0' }, names: input('timeout-minutes'), says: /not a number of minutes/ },
  { name: 'timeout-minutes negative', inputs: { 'timeout-minutes': '-5' }, names: input('timeout-minutes'), says: /not a number of minutes/ },
  { name: 'timeout-minutes past a job\'s limit', inputs: { 'timeout-minutes': '100000' }, names: input('timeout-minutes'), says: /between 0 and 360/ },
  { name: 'timeout-minutes Infinity', inputs: { 'timeout-minutes': 'Infinity' }, names: input('timeout-minutes'), says: /not a number of minutes/ },

  // Bucket names.
  { name: 's3-bucket as an s3:// URI', inputs: { 's3-bucket': 's3://bundles' }, names: input('s3-bucket'), says: /not a valid S3 bucket name.*not an s3:\/\/ URI or ARN/ },
  { name: 's3-bucket as an ARN', inputs: { 's3-bucket': 'arn:aws:s3:::bundles' }, names: input('s3-bucket'), says: /not a valid S3 bucket name/ },
  { name: 's3-bucket with a space', inputs: { 's3-bucket': 'my bundles' }, names: input('s3-bucket'), says: /not a valid S3 bucket name/ },
  { name: 's3-bucket too short', inputs: { 's3-bucket': 'ab' }, names: input('s3-bucket'), says: /not a valid S3 bucket name/ },
  // Up to 255 characters is a legacy us-east-1 name (accepted with a warning); more is no bucket name at all.
  { name: 's3-bucket too long', inputs: { 's3-bucket': 'b'.repeat(256) }, names: input('s3-bucket'), says: /not a valid S3 bucket name/ },
  { name: 's3-bucket with ..', inputs: { 's3-bucket': 'my..bundles' }, names: input('s3-bucket'), says: /not a valid S3 bucket name/ },
  { name: 's3-bucket like an IP address', inputs: { 's3-bucket': '192.168.10.12' }, names: input('s3-bucket'), says: /not a valid S3 bucket name/ },
  { name: 's3-bucket ending in a hyphen', inputs: { 's3-bucket': 'my_bundles-' }, names: input('s3-bucket'), says: /not a valid S3 bucket name/ },
  { name: 's3-bucket with a key in it', inputs: { 's3-bucket': 'bundles/sample-app' }, names: input('s3-bucket'), says: /not a valid S3 bucket name/ },

  // Key prefixes.
  { name: 's3-key-prefix climbing out with ..', inputs: { 's3-key-prefix': '../other-app/' }, names: input('s3-key-prefix'), says: /not a usable key prefix/ },
  { name: 's3-key-prefix with .. in the middle', inputs: { 's3-key-prefix': 'apps/../other/' }, names: input('s3-key-prefix'), says: /not a usable key prefix/ },
  { name: 's3-key-prefix with a leading /', inputs: { 's3-key-prefix': '/sample-app/' }, names: input('s3-key-prefix'), says: /not a usable key prefix.*without a leading \// },
  { name: 's3-key-prefix with a control character', inputs: { 's3-key-prefix': 'sample\u0007app/' }, names: input('s3-key-prefix'), says: /not a usable key prefix/ },
  { name: 's3-key-prefix with backslashes', inputs: { 's3-key-prefix': 'sample-app\\..\\' }, names: input('s3-key-prefix'), says: /not a usable key prefix/ },

  // source-dir.
  { name: 'source-dir missing', inputs: { 'source-dir': 'nope' }, names: input('source-dir'), says: /'nope' does not exist.*actions\/checkout/ },
  { name: 'source-dir is a file', inputs: { 'source-dir': 'app/server.js' }, names: input('source-dir'), says: /is a file, not a directory/ },
  { name: 'source-dir climbs out of the workspace', inputs: { 'source-dir': '../' }, names: input('source-dir'), says: /is outside the workspace/ },
  { name: 'source-dir absolute, outside the workspace', inputs: { 'source-dir': '/usr' }, names: input('source-dir'), says: /is outside the workspace/ },
  { name: 'source-dir a symlink to a directory outside the workspace', setup: ws => fs.symlinkSync(outsideApp(), path.join(ws.root, 'linked')), inputs: { 'source-dir': 'linked' }, names: input('source-dir'), says: /'linked' is outside the workspace/ },
  { name: 'source-dir without appspec.yml', inputs: { 'source-dir': 'app/scripts' }, names: input('source-dir'), says: /no appspec\.yml at the root/ },

  // The AppSpec.
  { name: 'no appspec.yml', setup: ws => fs.rmSync(path.join(ws.app, 'appspec.yml')), names: input('source-dir'), says: /no appspec\.yml at the root.*Fix: add appspec\.yml/ },
  { name: 'appspec.yaml instead of appspec.yml', setup: ws => fs.renameSync(path.join(ws.app, 'appspec.yml'), path.join(ws.app, 'appspec.yaml')), names: 'appspec.yaml', says: /Fix: rename appspec\.yaml to appspec\.yml/ },
  { name: 'appspec.yml in a subdirectory only', setup: ws => fs.renameSync(path.join(ws.app, 'appspec.yml'), path.join(ws.app, 'scripts', 'appspec.yml')), names: input('source-dir'), says: /found scripts\/appspec\.yml.*source-dir: scripts/ },
  { name: 'appspec.yml excluded', inputs: { exclude: 'appspec.yml' }, names: input('exclude'), says: /appspec\.yml is excluded/ },
  { name: 'appspec.yml not valid YAML', setup: appspec('version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n  - location: a.sh\n   timeout: 3\n'), names: 'appspec.yml', says: /line \d+ is not valid YAML/ },
  { name: 'appspec.yml a list, not a mapping', setup: appspec('- version: 0.0\n- os: linux\n'), names: 'appspec.yml', says: /is not a YAML mapping/ },
  { name: 'appspec.yml version 1.0', setup: appspec('version: 1.0\nos: linux\n'), names: 'appspec.yml', says: /version is 1.*Fix: write `version: 0\.0`/ },
  { name: 'appspec.yml without version', setup: appspec('os: linux\n'), names: 'appspec.yml', says: /version is null/ },
  { name: 'appspec.yml os macos', setup: appspec('version: 0.0\nos: macos\n'), names: 'appspec.yml', says: /os is "macos".*linux.*windows/ },
  { name: 'appspec.yml unknown hook', setup: appspec(HOOK('AfterDeploy')), names: 'appspec.yml', says: /'AfterDeploy' is not an EC2\/on-premises lifecycle event/ },
  { name: 'appspec.yml script on the reserved Install event', setup: appspec(HOOK('Install')), names: 'appspec.yml', says: /Install is run by the CodeDeploy agent itself/ },
  { name: 'appspec.yml script on DownloadBundle', setup: appspec(HOOK('DownloadBundle')), names: 'appspec.yml', says: /DownloadBundle is run by the CodeDeploy agent itself/ },
  { name: 'appspec.yml hook not a list', setup: appspec('version: 0.0\nos: linux\nhooks:\n  AfterInstall: scripts/after_install.sh\n'), names: 'appspec.yml', says: /AfterInstall must be a list of scripts/ },
  { name: 'appspec.yml script without location', setup: appspec('version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - timeout: 30\n'), names: 'appspec.yml', says: /a script under AfterInstall has no location/ },
  { name: 'appspec.yml hook script missing', setup: ws => fs.rmSync(path.join(ws.app, 'scripts', 'start_server.sh')), names: 'appspec.yml', says: /ApplicationStart script 'scripts\/start_server\.sh' is not in the bundle/ },
  { name: 'appspec.yml hook script excluded', inputs: { exclude: 'scripts/start_server.sh' }, names: input('exclude'), says: /'scripts\/start_server\.sh' is not in the bundle: it is excluded/ },
  { name: 'appspec.yml hook timeout over 3600', setup: appspec(HOOK('ApplicationStart', '      timeout: 4000\n')), names: 'appspec.yml', says: /timeout 4000 .* from 1 to 3600/ },
  { name: 'appspec.yml hook timeout not a number', setup: appspec(HOOK('ApplicationStart', '      timeout: soon\n')), names: 'appspec.yml', says: /timeout "soon"/ },
  { name: 'appspec.yml runas on windows', setup: appspec('version: 0.0\nos: windows\nhooks:\n  ApplicationStart:\n    - location: scripts/start_server.sh\n      runas: admin\n'), names: 'appspec.yml', says: /runas .* not supported on Windows/ },

  // The commit.
  { name: 'sha abbreviated', inputs: { sha: 'abc1234' }, names: input('sha'), says: /'abc1234' is not a full commit SHA.*40-character/ },
  { name: 'sha with non-hex characters', inputs: { sha: 'g'.repeat(40) }, names: input('sha'), says: /not a full commit SHA/ },
  { name: 'sha 41 characters', inputs: { sha: 'a'.repeat(41) }, names: input('sha'), says: /not a full commit SHA/ },
  { name: 'sha a branch name', inputs: { sha: 'refs/heads/main' }, names: input('sha'), says: /not a full commit SHA/ },
  { name: 'sha empty and no GITHUB_SHA', env: { GITHUB_SHA: '' }, names: input('sha'), says: /is empty and GITHUB_SHA is not set/ },

  // Inputs that contradict each other.
  { name: 's3-kms-key-id without s3-sse', inputs: { 's3-kms-key-id': 'alias/bundles' }, names: input('s3-kms-key-id'), says: /s3-sse is not aws:kms.*Fix: add `s3-sse: aws:kms`/ },
  { name: 's3-kms-key-id with s3-sse AES256', inputs: { 's3-kms-key-id': 'alias/bundles', 's3-sse': 'AES256' }, names: input('s3-kms-key-id'), says: /s3-sse is not aws:kms/ },
  { name: 'github-environment with an empty github-token', inputs: { 'github-environment': 'production', 'github-token': '' }, names: input('github-token'), says: /github-environment needs a token/ },
  { name: 'appspec (ECS/Lambda) for an EC2 deployment', setup: ws => fs.writeFileSync(path.join(ws.root, 'appspec.yaml'), 'version: 0.0\nResources:\n  - myFunction:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: fn\n        Alias: live\n        CurrentVersion: 1\n        TargetVersion: 2\n'), inputs: { appspec: 'appspec.yaml' }, names: input('appspec'), says: /is an EC2\/on-premises \(Server\) application/ },

  // Account and service facts the inputs must match.
  { name: 'aws-region not a region', inputs: { 'aws-region': 'Europe' }, names: input('aws-region'), says: /'Europe' is not an AWS region name/ },
  { name: 'no region anywhere', env: { AWS_REGION: '', AWS_DEFAULT_REGION: '' }, names: input('aws-region'), says: /is not set, and neither is AWS_REGION/ },
  { name: 'expected-bucket-owner not an account id', inputs: { 'expected-bucket-owner': 'acme' }, names: input('expected-bucket-owner'), says: /'acme' is not an AWS account id/ },
  { name: 'deployment-config that does not exist', inputs: { 'deployment-config': 'CodeDeployDefault.Nope' }, names: input('deployment-config'), says: /deployment config 'CodeDeployDefault\.Nope' does not exist/ },
  // Issue 12's inputs.
  { name: 'bundle-type tar.bz2', inputs: { 'bundle-type': 'tar.bz2' }, names: input('bundle-type'), says: /zip, tar, tgz/ },
  { name: 'bundle that does not exist', inputs: { bundle: 'dist/app.zip', 'source-dir': undefined }, names: input('bundle'), says: /'dist\/app\.zip' does not exist/ },
  { name: 'bundle without an archive extension', setup: ws => write(ws, 'app.bin', 'x'), inputs: { bundle: 'app/app.bin', 'source-dir': undefined }, names: input('bundle'), says: /does not name its archive type/ },
  { name: 'bundle that is not an archive', setup: ws => write(ws, 'fake.zip', 'not a zip at all, just text'), inputs: { bundle: 'app/fake.zip', 'source-dir': undefined }, names: input('bundle'), says: /is not a readable zip archive/ },
  { name: 'bundle with upload never', setup: ws => write(ws, 'fake.zip', 'x'), inputs: { bundle: 'app/fake.zip', 'source-dir': undefined, upload: 'never' }, names: input('upload'), says: /bundle names an archive to upload/ },
  { name: 's3-key with a leading /', inputs: { 's3-key': '/app.zip', 's3-key-prefix': undefined }, names: input('s3-key'), says: /not a usable S3 key/ },
  { name: 's3-key with s3-key-prefix', inputs: { 's3-key': 'app.zip' }, names: input('s3-key'), says: /together with s3-key-prefix/ },
  { name: 'update-outdated-instances-only maybe', inputs: { 'update-outdated-instances-only': 'maybe' }, names: input('update-outdated-instances-only'), says: /not a boolean/ },
  { name: 'auto-rollback always', inputs: { 'auto-rollback': 'always' }, names: input('auto-rollback'), says: /'always' is not a rollback event/ },
  { name: 'auto-rollback off plus an event', inputs: { 'auto-rollback': 'off,DEPLOYMENT_FAILURE' }, names: input('auto-rollback'), says: /cannot be combined/ },
  { name: 'alarms disabled', inputs: { alarms: 'disabled' }, names: input('alarms'), says: /group, off/ },
  { name: 'github-environment-url not a URL', inputs: { 'github-environment': 'staging', 'github-environment-url': 'staging' }, names: input('github-environment-url'), says: /not an http\(s\) URL/ },
  { name: 'github-environment-production without github-environment', inputs: { 'github-environment-production': 'false' }, names: input('github-environment-production'), says: /github-environment is empty/ },
  { name: 'application-name of a Lambda application', inputs: { 'application-name': 'lambda-app' }, names: input('application-name'), says: /deploys to Lambda/ },

  // Commands and their inputs.
  { name: 'command rollout', inputs: { command: 'rollout' }, names: input('command'), says: /'rollout' is not a valid value.*deploy, check, register, watch, continue, stop/ },
  { name: 'command watch without deployment-id', inputs: { command: 'watch' }, names: input('deployment-id'), says: /is required for command watch/ },
  { name: 'command stop without deployment-id', inputs: { command: 'stop', 'application-name': undefined, 's3-bucket': undefined }, names: input('deployment-id'), says: /is required for command stop/ },
  { name: 'deployment-id with command deploy', inputs: { 'deployment-id': 'd-ABCDE1234' }, names: input('deployment-id'), says: /command deploy does not act on an existing deployment/ },
  { name: 'deployment-id not an id', inputs: { command: 'continue', 'deployment-id': '12345' }, names: input('deployment-id'), says: /'12345' is not a CodeDeploy deployment id/ },
  { name: 'auto-rollback-on-stop yes', inputs: { command: 'stop', 'deployment-id': 'd-ABCDE1234', 'auto-rollback-on-stop': 'yes' }, names: input('auto-rollback-on-stop'), says: /not a boolean/ },
  { name: 'wait-for-termination always', inputs: { 'wait-for-termination': 'always' }, names: input('wait-for-termination'), says: /not a boolean/ },
  { name: 'wait-for-termination with wait false', inputs: { 'wait-for-termination': 'true', wait: 'false' }, names: input('wait-for-termination'), says: /wait is false/ },
  { name: 'wait-for-termination with command check', inputs: { command: 'check', 'wait-for-termination': 'true' }, names: input('wait-for-termination'), says: /command check never waits/ },
  { name: 'command register with an ECS/Lambda appspec', setup: ws => fs.writeFileSync(path.join(ws.root, 'appspec.yaml'), 'version: 0.0\n'), inputs: { command: 'register', appspec: 'appspec.yaml' }, names: input('command'), says: /registers a bundle in S3/ }
]

/** The text of a workflow command's message, as the runner shows it (core escapes %, \r, \n). */
const unescape = (data: string): string => data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')

async function runCase(c: Case) {
  c.setup?.(bed.ws)
  // The testbed is shared: what counts is what this run added to it.
  const s3Before = bed.tb.s3.requests.length
  const cdBefore = bed.tb.codedeploy.requests.length
  const deploymentsBefore = bed.tb.codedeploy.deployments().length
  const result = await runWith(bed, { inputs: c.inputs ?? {}, env: c.env ?? {} })
  return {
    result,
    s3Writes: bed.tb.s3.requests
      .slice(s3Before)
      .filter(r => WRITES.has(r.method))
      .map(r => `${r.operation} ${r.path}`),
    cdOperations: bed.tb.codedeploy.requests.slice(cdBefore).map((r: { operation: string }) => r.operation),
    newDeployments: bed.tb.codedeploy
      .deployments()
      .slice(deploymentsBefore)
      .map((d: { deploymentId: string }) => d.deploymentId)
  }
}

test(`the matrix holds at least 40 distinct mistakes (${cases.length})`, () => {
  expect(cases.length).toBeGreaterThanOrEqual(40)
  expect(new Set(cases.map(c => c.name)).size).toBe(cases.length)
})

describe('bad input: one clear error, a failed step, nothing uploaded, nothing deployed', () => {
  test.each(cases.map(c => [c.name, c] as const))('%s', async (_name, c) => {
    const { result, s3Writes, cdOperations, newDeployments } = await runCase(c)

    expect(result.code).toBe(1)
    const errors = errorsOf(result, 'all')
    expect(errors).toHaveLength(1)
    const message = unescape(errors[0]!.replace(/^::error[^:]*::/, ''))
    expect(message).toContain(c.names)
    expect(message).toMatch(c.says)
    // The fix comes after the problem, and says something.
    expect(message).toMatch(/ Fix: \S.{10,}/)
    expect(result.outputs['error-message']).toBe(message)
    expect(result.outputs['deployment-id']).toBe('')
    expect(result.outputs['uploaded']).toBe('false')
    expect(result.summary).toContain('❌')

    // Nothing reached either server that would change it.
    expect(s3Writes).toEqual([])
    expect(cdOperations).not.toContain('CreateDeployment')
    expect(newDeployments).toEqual([])
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(await bed.tb.s3.listMultipartUploads(BUCKET)).toEqual([])
  })
})

describe('a bucket that belongs to another account', () => {
  const otherOwner: Case = { name: 'owner', inputs: { 'expected-bucket-owner': '999999999999' }, names: '', says: /./ }

  // S3 refuses a HEAD with a bare 403: the error must still point at expected-bucket-owner or the permission.
  test('expected-bucket-owner that does not own the bucket fails before uploading, naming the input or the permission', async () => {
    const { result, s3Writes, newDeployments } = await runCase(otherOwner)
    expect(result.code).toBe(1)
    const errors = errorsOf(result, 'all')
    expect(errors).toHaveLength(1)
    expect(unescape(errors[0]!)).toMatch(/expected-bucket-owner|s3:GetObject/)
    expect(unescape(errors[0]!)).toMatch(/ Fix: \S/)
    expect(s3Writes).toEqual([])
    expect(newDeployments).toEqual([])
  })

  test('the refusal reaches no object and no deployment, whatever the message', async () => {
    const s3Before = bed.tb.s3.requests.length
    const { result, s3Writes, newDeployments } = await runCase(otherOwner)
    expect(result.code).toBe(1)
    expect(errorsOf(result, 'all')).toHaveLength(1)
    // S3 refused every request that carried the wrong owner.
    expect(bed.tb.s3.requests.slice(s3Before).filter(r => r.bucket === BUCKET && r.status === 403).length).toBeGreaterThan(0)
    expect(s3Writes).toEqual([])
    expect(newDeployments).toEqual([])
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
  })
})
