/**
 * An archive built earlier (the `bundle` input), read from its headers as the agent would unpack
 * it: archives made by the usual tools (Info-ZIP, GNU tar, Python), appspec.yml at the root and
 * its hooks present, entries that would escape refused, and the upload copy byte for byte.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ActionError } from '../../../../src/core/errors.js'
import type { BundleType } from '../../../../src/core/domain.js'
import { checkPrebuilt, stagePrebuilt } from '../../../../src/bundle/prebuilt/check-prebuilt.js'
import { run, sha256 } from '../../../helpers/archive.js'
import { buildTree, TempDirs } from '../../../helpers/tree.js'

const temp = new TempDirs()
let dir: string
let app: string

const APPSPEC =
  'version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n  ValidateService:\n    - location: scripts/check.sh\n'

beforeEach(() => {
  dir = temp.make('cda-prebuilt-')
  app = path.join(dir, 'app')
  buildTree(app, {
    'appspec.yml': APPSPEC,
    'scripts/start.sh': { content: '#!/bin/sh\nexit 0\n', mode: 0o755 },
    'scripts/check.sh': { content: '#!/bin/sh\nexit 0\n', mode: 0o644 },
    'server.js': 'console.log(1)\n'
  })
})
afterEach(() => temp.cleanup())

/** Builds `name` from `app` with the usual tool for its type, as a workflow step would. */
function build(name: string, from = app): string {
  const out = path.join(dir, name)
  if (name.endsWith('.zip')) run('sh', ['-c', `cd "${from}" && zip -q -r "${out}" .`])
  else if (name.endsWith('.tar')) run('tar', ['-C', from, '-cf', out, '.'])
  else run('tar', ['-C', from, '-czf', out, '.'])
  return out
}

/** A zip written by Python's zipfile, which stores names exactly as given (no tool sanitises them). */
function pythonZip(name: string, files: Record<string, string>, system: 'unix' | 'windows' = 'unix'): string {
  const out = path.join(dir, name)
  const script = [
    'import sys, zipfile, json',
    "z = zipfile.ZipFile(sys.argv[1], 'w')",
    'for k, v in json.loads(sys.argv[2]).items():',
    '    info = zipfile.ZipInfo(k)',
    '    info.create_system = int(sys.argv[3])',
    '    info.external_attr = (0o100644 << 16) if sys.argv[3] == "3" else 0x20',
    '    z.writestr(info, v)',
    'z.close()'
  ].join('\n')
  run('python3', ['-c', script, out, JSON.stringify(files), system === 'unix' ? '3' : '0'])
  return out
}

async function refusal(file: string, type: BundleType): Promise<ActionError> {
  const error = await checkPrebuilt(file, type, dir).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}

describe.each<[string, BundleType]>([
  ['app.zip', 'zip'],
  ['app.tar', 'tar'],
  ['app.tgz', 'tgz']
])('%s', (name, type) => {
  test('entries, modes and the appspec are read from the archive', async () => {
    const { entries, appspec } = await checkPrebuilt(build(name), type, dir)
    const byPath = new Map(entries.map(e => [e.path, e]))
    expect([...byPath.keys()]).toEqual(
      expect.arrayContaining(['appspec.yml', 'scripts', 'scripts/start.sh', 'scripts/check.sh', 'server.js'])
    )
    expect(byPath.get('scripts')?.kind).toBe('dir')
    expect(byPath.get('scripts/start.sh')).toMatchObject({ kind: 'file', mode: 0o755, size: 17 })
    expect(appspec.os).toBe('linux')
    expect(appspec.hooks.map(h => h.location)).toEqual(['scripts/start.sh', 'scripts/check.sh'])
    // The same checks as a source-dir's: the script without its exec bit is named.
    expect(appspec.warnings.join('\n')).toContain('scripts/check.sh (ValidateService hook) is not executable')
  })

  test('a hook script missing from the archive fails the check', async () => {
    fs.rmSync(path.join(app, 'scripts', 'check.sh'))
    const error = await refusal(build(name), type)
    expect(error.describe()).toMatch(/ValidateService script 'scripts\/check\.sh' is not in the bundle/)
    expect(error.fix).toBe('add it to the archive in the step that builds it, or fix the location in appspec.yml.')
  })

  test('appspec.yml one directory down names the directory to build from', async () => {
    const parent = path.join(dir, 'parent')
    fs.mkdirSync(parent)
    fs.renameSync(app, path.join(parent, 'dist'))
    const error = await refusal(build(name, parent), type)
    expect(error.input).toBe('bundle')
    expect(error.describe()).toMatch(/has no appspec\.yml at its root; found dist\/appspec\.yml.*Fix: build the archive from inside dist\//)
  })

  test('no appspec.yml', async () => {
    fs.rmSync(path.join(app, 'appspec.yml'))
    const error = await refusal(build(name), type)
    expect(error.describe()).toMatch(/^Input 'bundle' has no appspec\.yml at its root\. Fix: /)
  })

  test('appspec.yaml instead', async () => {
    fs.renameSync(path.join(app, 'appspec.yml'), path.join(app, 'appspec.yaml'))
    expect((await refusal(build(name), type)).describe()).toMatch(/appspec\.yaml .* Fix: rename appspec\.yaml to appspec\.yml/)
  })

  test('a .git directory is refused', async () => {
    buildTree(app, { '.git/config': '[http]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n' })
    expect((await refusal(build(name), type)).describe()).toMatch(/has \.\/\.git|has \.git/)
  })

  test('the staged copy is the archive byte for byte, in a temp directory of its own', async () => {
    const file = build(name)
    const bundle = await stagePrebuilt(file, type, 5, new AbortController().signal, dir)
    expect(path.dirname(bundle.file)).not.toBe(path.dirname(file))
    expect(bundle).toMatchObject({ type, size: fs.statSync(file).size, sha256: sha256(file), entries: 5 })
    expect(fs.readFileSync(bundle.file).equals(fs.readFileSync(file))).toBe(true)
  })
})

describe('tar names', () => {
  test('a GNU long name and a pax path past 100 characters are read whole', async () => {
    const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}`
    buildTree(app, { [`${deep}/file.txt`]: 'x' })
    for (const format of ['gnu', 'pax']) {
      const out = path.join(dir, `app-${format}.tar`)
      run('tar', [`--format=${format}`, '-C', app, '-cf', out, '.'])
      const { entries } = await checkPrebuilt(out, 'tar', dir)
      expect(entries.map(e => e.path)).toContain(`${deep}/file.txt`)
    }
  })
})

describe('zip written by another tool', () => {
  test('names with .. are refused: they would unpack outside the deployment', async () => {
    const file = pythonZip('evil.zip', { 'appspec.yml': 'version: 0.0\nos: linux\n', '../../etc/cron.d/x': 'boom' })
    const error = await refusal(file, 'zip')
    expect(error.describe()).toMatch(/^Input 'bundle' has '\.\.\/\.\.\/etc\/cron\.d\/x', which would unpack outside/)
  })

  test('a zip without unix modes (made on Windows) reads with default modes', async () => {
    const file = pythonZip('win.zip', { 'appspec.yml': 'version: 0.0\nos: windows\n', 'web/index.html': '<p>' }, 'windows')
    const { entries, appspec } = await checkPrebuilt(file, 'zip', dir)
    expect(appspec.os).toBe('windows')
    expect(entries.find(e => e.path === 'web/index.html')).toMatchObject({ kind: 'file', mode: 0o644 })
  })
})

describe('not an archive of its type', () => {
  test.each<[string, BundleType]>([
    ['fake.zip', 'zip'],
    ['fake.tgz', 'tgz'],
    ['fake.tar', 'tar']
  ])('%s', async (name, type) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, 'this is a text file, not an archive, and it is longer than one tar block? no.'.repeat(3))
    const error = await refusal(file, type)
    expect(error.input).toBe('bundle')
    expect(error.describe()).toMatch(new RegExp(`'${name.replace('.', '\\.')}' is not a readable ${type} archive`))
  })

  test('a zip given as tgz (the name lies) is refused', async () => {
    const file = build('app.zip')
    const misnamed = path.join(dir, 'app.tgz')
    fs.copyFileSync(file, misnamed)
    expect((await refusal(misnamed, 'tgz')).describe()).toMatch(/is not a readable tgz archive/)
  })
})
