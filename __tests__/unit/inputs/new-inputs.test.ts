/**
 * The inputs of issue 12, read through readSettings as the action reads them: bundle, s3-key,
 * bundle-type tar, update-outdated-instances-only, auto-rollback, alarms and the GitHub environment's.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ActionError } from '../../../src/core/errors.js'
import { readSettings } from '../../../src/inputs/read-settings.js'
import type { Settings } from '../../../src/inputs/settings.js'
import { buildTree, TempDirs } from '../../helpers/tree.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'
// As the runner passes them: action.yml defaults for every input the workflow leaves out.
const DEFAULTS = { 'source-dir': '.', 'bundle-type': 'zip', upload: 'auto' }
const REQUIRED = { 'application-name': 'shop', 'deployment-group': 'production', 's3-bucket': 'my-bundles' }

const temp = new TempDirs()
let workspace: string
let runnerTemp: string

beforeEach(() => {
  const parent = temp.make()
  workspace = path.join(parent, 'ws')
  runnerTemp = path.join(parent, 'runner-temp')
  buildTree(parent, {
    'ws/appspec.yml': 'version: 0.0\nos: linux\n',
    'ws/dist/app.zip': 'zip bytes',
    'ws/dist/app.tar': 'tar bytes',
    'ws/dist/app.tar.gz': 'tgz bytes',
    'ws/dist/app.TGZ': 'tgz bytes',
    'ws/dist/app.rar': 'rar bytes',
    'ws/dist/folder.zip/inner': 'a directory named like an archive',
    'runner-temp/built.tgz': 'tgz bytes',
    'outside/app.zip': 'zip bytes'
  })
})
afterEach(() => temp.cleanup())

function read(given: Record<string, string | undefined> = {}, env: NodeJS.ProcessEnv = {}): Settings {
  const inputs: Record<string, string | undefined> = { ...DEFAULTS, ...REQUIRED, ...given }
  return readSettings(name => inputs[name] ?? '', {
    GITHUB_WORKSPACE: workspace,
    GITHUB_SHA: SHA,
    GITHUB_REPOSITORY: 'octo/shop',
    AWS_REGION: 'eu-west-1',
    ...env
  })
}

function readError(given: Record<string, string | undefined>, env: NodeJS.ProcessEnv = {}): ActionError {
  try {
    read(given, env)
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError)
    return error as ActionError
  }
  throw new Error('expected an ActionError')
}

describe('bundle: an archive built earlier', () => {
  test.each([
    ['dist/app.zip', 'zip'],
    ['dist/app.tar', 'tar'],
    ['dist/app.tar.gz', 'tgz'],
    ['dist/app.TGZ', 'tgz']
  ])('%s is deployed as %s, resolved to its absolute path', (given, type) => {
    const s = read({ bundle: given })
    expect(s.prebuiltBundle).toBe(fs.realpathSync(path.join(workspace, given)))
    expect(s.bundleType).toBe(type)
  })

  test('an archive in RUNNER_TEMP is accepted too (builds often write there)', () => {
    const s = read({ bundle: path.join(runnerTemp, 'built.tgz') }, { RUNNER_TEMP: runnerTemp })
    expect(s.prebuiltBundle).toBe(fs.realpathSync(path.join(runnerTemp, 'built.tgz')))
    expect(s.bundleType).toBe('tgz')
  })

  test('bundle-type equal to the archive type is accepted', () => {
    expect(read({ bundle: 'dist/app.tar', 'bundle-type': 'tar' }).bundleType).toBe('tar')
  })

  test.each<[string, Record<string, string>, string, RegExp]>([
    ['a missing file', { bundle: 'dist/nope.zip' }, 'bundle', /'dist\/nope\.zip' does not exist/],
    ['a directory', { bundle: 'dist/folder.zip' }, 'bundle', /is not a file/],
    [
      'a name without an archive type',
      { bundle: 'dist/app.rar' },
      'bundle',
      /does not name its archive type.*\.zip, \.tar, \.tgz or \.tar\.gz/
    ],
    ['outside the workspace', { bundle: '../outside/app.zip' }, 'bundle', /is outside the workspace/],
    ['with source-dir', { bundle: 'dist/app.zip', 'source-dir': 'dist' }, 'source-dir', /set together with bundle.*Fix: remove source-dir/],
    ['with exclude', { bundle: 'dist/app.zip', exclude: '*.log' }, 'exclude', /set together with bundle/],
    ['with another bundle-type', { bundle: 'dist/app.zip', 'bundle-type': 'tgz' }, 'bundle-type', /its name says zip/],
    ['with upload: never', { bundle: 'dist/app.zip', upload: 'never' }, 'upload', /is never, but bundle names an archive to upload/],
    ['with an s3-key of another type', { bundle: 'dist/app.zip', 's3-key': 'builds/app.tgz' }, 's3-key', /tgz archive, but bundle is a zip/]
  ])('refused: %s', (_why, given, input, says) => {
    const error = readError(given)
    expect(error.input).toBe(input)
    expect(error.describe()).toMatch(says)
    expect(error.fix).toBeTruthy()
  })

  test('no checked-out tree is needed: source-dir is not checked', () => {
    fs.rmSync(path.join(workspace, 'appspec.yml'))
    expect(read({ bundle: 'dist/app.zip' }).prebuiltBundle).toBeDefined()
  })
})

describe('s3-key', () => {
  test('the exact key; its extension gives the bundle type', () => {
    expect(read({ 's3-key': 'builds/shop-1.4.2.tgz', upload: 'never' })).toMatchObject({
      s3Key: 'builds/shop-1.4.2.tgz',
      bundleType: 'tgz'
    })
    expect(read({ 's3-key': 'builds/shop.tar' })).toMatchObject({ s3Key: 'builds/shop.tar', bundleType: 'tar' })
  })

  test('a key without an archive extension takes bundle-type', () => {
    expect(read({ 's3-key': 'artifacts/shop-latest', 'bundle-type': 'tar', upload: 'never' }).bundleType).toBe('tar')
    expect(read({ 's3-key': 'artifacts/shop-latest', upload: 'never' }).bundleType).toBe('zip')
  })

  test.each<[string, Record<string, string>, RegExp]>([
    ['an s3:// URI', { 's3-key': 's3://bundles/shop.zip' }, /not a usable S3 key/],
    ['a leading /', { 's3-key': '/shop.zip' }, /not a usable S3 key/],
    ['a trailing / (a folder)', { 's3-key': 'builds/' }, /not a usable S3 key/],
    ['..', { 's3-key': 'builds/../other/shop.zip' }, /not a usable S3 key/],
    ['a control character', { 's3-key': 'shop\u0007.zip' }, /not a usable S3 key/],
    ['longer than S3 allows', { 's3-key': `${'k'.repeat(1021)}.zip` }, /not a usable S3 key/],
    ['together with s3-key-prefix', { 's3-key': 'shop.zip', 's3-key-prefix': 'shop/' }, /together with s3-key-prefix/],
    [
      'an extension that contradicts bundle-type',
      { 's3-key': 'shop.zip', 'bundle-type': 'tgz' },
      /names a zip archive, but bundle-type is tgz/
    ]
  ])('refused: %s', (_why, given, says) => {
    const error = readError(given)
    expect(error.input).toBe('s3-key')
    expect(error.describe()).toMatch(says)
  })
})

describe('auto-rollback', () => {
  test.each<[string, unknown]>([
    ['', 'group'],
    ['group', 'group'],
    ['OFF', 'off'],
    ['DEPLOYMENT_FAILURE', ['DEPLOYMENT_FAILURE']],
    ['deployment_failure, DEPLOYMENT_STOP_ON_REQUEST', ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST']],
    ['DEPLOYMENT_STOP_ON_ALARM\nDEPLOYMENT_FAILURE\n', ['DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_FAILURE']]
  ])('%p reads as %p', (given, expected) => {
    expect(read({ 'auto-rollback': given }).autoRollback).toEqual(expected)
  })

  test.each<[string, RegExp]>([
    ['always', /'always' is not a rollback event/],
    ['DEPLOYMENT_FAILURE, ON_ALARM', /'ON_ALARM' is not a rollback event/],
    ['off, DEPLOYMENT_FAILURE', /'off' cannot be combined with events/],
    ['DEPLOYMENT_FAILURE\nDEPLOYMENT_FAILURE', /names DEPLOYMENT_FAILURE twice/]
  ])('%p is refused', (given, says) => {
    const error = readError({ 'auto-rollback': given })
    expect(error.input).toBe('auto-rollback')
    expect(error.describe()).toMatch(says)
    expect(error.describe()).toMatch(/Fix: /)
  })
})

describe('update-outdated-instances-only and alarms', () => {
  test('default: every instance, the group alarms', () => {
    expect(read()).toMatchObject({ updateOutdatedInstancesOnly: false, alarms: 'group', autoRollback: 'group' })
  })

  test('true is kept for EC2/on-premises', () => {
    expect(read({ 'update-outdated-instances-only': 'true', alarms: 'off' })).toMatchObject({
      updateOutdatedInstancesOnly: true,
      alarms: 'off'
    })
  })
})

describe('GitHub environment', () => {
  test.each<[string, boolean]>([
    ['production', true],
    ['Production', true],
    ['preprod', false],
    ['production-eu', false],
    ['staging', false]
  ])('%s is production by default: %p', (environment, production) => {
    expect(read({ 'github-environment': environment, 'github-token': 't' }).githubEnvironmentProduction).toBe(production)
  })

  test('github-environment-production says it explicitly', () => {
    expect(
      read({ 'github-environment': 'prod-eu', 'github-token': 't', 'github-environment-production': 'true' }).githubEnvironmentProduction
    ).toBe(true)
    expect(
      read({ 'github-environment': 'production', 'github-token': 't', 'github-environment-production': 'false' })
        .githubEnvironmentProduction
    ).toBe(false)
  })

  test('github-environment-url is kept', () => {
    expect(
      read({ 'github-environment': 'staging', 'github-token': 't', 'github-environment-url': 'https://staging.shop.example' })
        .githubEnvironmentUrl
    ).toBe('https://staging.shop.example')
  })

  test.each<[string, Record<string, string>, RegExp]>([
    ['github-environment-url', { 'github-environment-url': 'https://shop.example' }, /github-environment is empty/],
    ['github-environment-production', { 'github-environment-production': 'true' }, /github-environment is empty/],
    [
      'github-environment-url',
      { 'github-environment': 'staging', 'github-environment-url': 'shop.example' },
      /'shop\.example' is not an http\(s\) URL/
    ],
    ['github-environment-url', { 'github-environment': 'staging', 'github-environment-url': 'ftp://shop.example' }, /not an http\(s\) URL/],
    ['github-environment-production', { 'github-environment': 'staging', 'github-environment-production': 'yes' }, /not a boolean/]
  ])('%s refused: %p', (input, given, says) => {
    const error = readError({ 'github-token': 't', ...given })
    expect(error.input).toBe(input)
    expect(error.describe()).toMatch(says)
  })
})

describe('ECS and Lambda (appspec)', () => {
  test('the bundle-only inputs are reported unused, not read', () => {
    fs.writeFileSync(path.join(workspace, 'appspec.json'), '{}')
    const s = read({ appspec: 'appspec.json', bundle: 'dist/app.zip', 's3-key': 'x.zip', 'update-outdated-instances-only': 'true' })
    expect(s.appspec?.unused).toEqual(expect.arrayContaining(['bundle', 's3-key', 'update-outdated-instances-only']))
    expect(s).toMatchObject({ prebuiltBundle: undefined, s3Key: undefined, updateOutdatedInstancesOnly: false })
  })
})
