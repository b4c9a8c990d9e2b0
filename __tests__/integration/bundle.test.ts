/**
 * The "check appspec -> package -> upload" half of the built action (dist/index.js), run as the
 * runner runs it against the local S3 and CodeDeploy: what lands in S3 is unpacked and compared
 * with the tree, byte for byte, mode for mode; upload modes, encryption, bucket ownership, tgz
 * bundles, multipart uploads and refusals are checked through the outputs, S3 and CodeDeploy.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { describeTree, run as sh } from '../helpers/archive.js'
import { randomBytes } from '../helpers/tree.js'
import { BUCKET, errorsOf, runWith, useTestbed, type RunResult } from './harness.js'

const SHA = '2222222222222222222222222222222222222222'
const KEY = `app/${SHA}.zip`
const MB = 1 << 20

const bed = useTestbed({ stepMs: 10, instances: 1, sha: SHA })

const run = (extra: Record<string, string> = {}): Promise<RunResult> => runWith(bed, { inputs: extra })
const s3Ops = (name: string): number => bed.s3Calls(name).length
const cdOps = (name: string): Array<{ input: Record<string, unknown> }> => bed.cdCalls(name)

/** Adds what a real repository has around the app: links, private files, logs to leave out. */
function enrich(app: string): void {
  fs.symlinkSync('scripts/start_server.sh', path.join(app, 'start'))
  fs.symlinkSync('scripts', path.join(app, 'scripts-link-dir'))
  fs.writeFileSync(path.join(app, 'secret.env'), 'PORT=8080\n', { mode: 0o600 })
  fs.chmodSync(path.join(app, 'secret.env'), 0o600)
  fs.mkdirSync(path.join(app, 'logs'))
  fs.writeFileSync(path.join(app, 'logs', 'today.log'), 'noise')
  fs.writeFileSync(path.join(app, 'debug.log'), 'noise')
  fs.mkdirSync(path.join(app, 'tmp'))
  fs.writeFileSync(path.join(app, 'tmp', 'cache.bin'), 'noise')
}

describe('what lands in S3 is the tree, exactly', () => {
  test('zip: unpacked, it is source-dir minus node_modules/, .git/ and the exclude patterns, modes and links kept', async () => {
    enrich(bed.ws.app)
    const result = await run({ exclude: '*.log\ntmp/' })
    expect(result.stderr).not.toMatch(/Error/)
    expect(result.outputs['error-message']).toBe('')
    expect(result.code).toBe(0)
    const object = await bed.tb.s3.getObject(BUCKET, KEY)
    const zip = path.join(bed.ws.root, 'downloaded.zip')
    fs.writeFileSync(zip, object.body)

    const unpacked = path.join(bed.ws.root, 'unpacked')
    sh('unzip', ['-q', zip, '-d', unpacked])
    const expected = describeTree(bed.ws.app)
    for (const gone of Object.keys(expected)) {
      if (/^(node_modules|\.git|logs\/today\.log|debug\.log|tmp)(\/|$)/.test(gone)) delete expected[gone]
    }
    expect(expected['logs']).toBe('dir 755')
    expect(describeTree(unpacked)).toEqual(expected)
    expect(expected['start']).toBe('link -> scripts/start_server.sh')
    expect(expected['secret.env']).toMatch(/^file 600 /)

    // Sorted entries, the commit's time (here the push event's head commit; read in UTC), links stored as links.
    const lines = sh('unzip', ['-Z', '-T', zip], { TZ: 'UTC' })
      .split('\n')
      .filter(l => /^[-dl]/.test(l))
    const names = lines.map(l => l.split(/\s+/).slice(8).join(' '))
    expect(names).toEqual([...names].sort())
    expect(new Set(lines.map(l => l.split(/\s+/)[6]))).toEqual(new Set(['20240309.234107']))
    expect(lines.find(l => l.endsWith(' start'))).toMatch(/^lrwxrwxrwx/)

    const out = result.outputs
    expect(out['bundle-uri']).toBe(`s3://${BUCKET}/${KEY}`)
    expect(out['bundle-sha256']).toBe(createHash('sha256').update(object.body).digest('hex'))
    expect(out['bundle-size']).toBe(String(object.body.length))
    expect(out['bundle-etag']).toBe(object.etag.replace(/"/g, ''))
    expect(out['bundle-version']).toBe('')
    expect(out['uploaded']).toBe('true')
    expect(object.metadata['sha256']).toBe(out['bundle-sha256'])
  })

  test('tgz: the same tree, deployed by CodeDeploy from the .tgz key', async () => {
    enrich(bed.ws.app)
    const result = await run({ 'bundle-type': 'tgz', exclude: '*.log\ntmp/' })
    expect(result.code).toBe(0)
    const key = `app/${SHA}.tgz`
    const object = await bed.tb.s3.getObject(BUCKET, key)
    const tgz = path.join(bed.ws.root, 'downloaded.tgz')
    fs.writeFileSync(tgz, object.body)
    const unpacked = path.join(bed.ws.root, 'unpacked')
    fs.mkdirSync(unpacked)
    sh('tar', ['-xzf', tgz, '-C', unpacked, '-p', '--no-same-owner'])
    const expected = describeTree(bed.ws.app)
    for (const gone of Object.keys(expected)) {
      if (/^(node_modules|\.git|logs\/today\.log|debug\.log|tmp)(\/|$)/.test(gone)) delete expected[gone]
    }
    expect(describeTree(unpacked)).toEqual(expected)
    // Every entry carries the commit time (the push event's head commit here), in UTC.
    const listing = sh('tar', ['-tvzf', tgz], { TZ: 'UTC' }).split('\n').filter(Boolean)
    expect(listing.length).toBeGreaterThan(0)
    expect(listing.every(l => l.includes(' 2024-03-09 23:41 '))).toBe(true)
    expect(result.outputs['bundle-uri']).toBe(`s3://${BUCKET}/${key}`)
    const create = cdOps('CreateDeployment')[0]!
    expect(create.input['revision']).toEqual({
      revisionType: 'S3',
      s3Location: { bucket: BUCKET, key, bundleType: 'tgz', eTag: object.etag.replace(/"/g, '') }
    })
    expect(result.outputs['status']).toBe('Succeeded')
  })

  test('tar: the same tree, uncompressed, deployed by CodeDeploy from the .tar key', async () => {
    enrich(bed.ws.app)
    const result = await run({ 'bundle-type': 'tar', exclude: '*.log\ntmp/' })
    expect(errorsOf(result, 'all')).toEqual([])
    const key = `app/${SHA}.tar`
    const object = await bed.tb.s3.getObject(BUCKET, key)
    const tar = path.join(bed.ws.root, 'downloaded.tar')
    fs.writeFileSync(tar, object.body)
    // A plain POSIX tar, not gzip: the agent runs `tar -xpsf` on it.
    expect(object.body.subarray(257, 262).toString()).toBe('ustar')
    const unpacked = path.join(bed.ws.root, 'unpacked-tar')
    fs.mkdirSync(unpacked)
    sh('tar', ['-xf', tar, '-C', unpacked, '-p', '--no-same-owner'])
    const expected = describeTree(bed.ws.app)
    for (const gone of Object.keys(expected)) {
      if (/^(node_modules|\.git|logs\/today\.log|debug\.log|tmp)(\/|$)/.test(gone)) delete expected[gone]
    }
    expect(describeTree(unpacked)).toEqual(expected)
    expect(result.outputs['bundle-uri']).toBe(`s3://${BUCKET}/${key}`)
    expect(cdOps('CreateDeployment').at(-1)!.input['revision']).toEqual({
      revisionType: 'S3',
      s3Location: { bucket: BUCKET, key, bundleType: 'tar', eTag: object.etag.replace(/"/g, '') }
    })
    expect(result.outputs['status']).toBe('Succeeded')
  })

  test('the same commit packaged twice gives the same bytes: the re-run uploads nothing', async () => {
    const first = await run()
    const second = await run()
    expect([first.code, second.code]).toEqual([0, 0])
    expect(second.outputs['bundle-sha256']).toBe(first.outputs['bundle-sha256'])
    expect([first.outputs['uploaded'], second.outputs['uploaded']]).toEqual(['true', 'false'])
    expect(s3Ops('PutObject')).toBe(1)
    expect(cdOps('CreateDeployment').map(c => (c.input['revision'] as { s3Location: { eTag: string } }).s3Location.eTag)).toEqual([
      first.outputs['bundle-etag'],
      first.outputs['bundle-etag']
    ])
  })
})

describe('upload modes', () => {
  test('always uploads without looking first, but never replaces the object a deployment used: the identical bundle is reused', async () => {
    const first = await run()
    const again = await run({ upload: 'always' })
    expect(again.code).toBe(0)
    expect(again.outputs['uploaded']).toBe('false')
    expect(again.outputs['bundle-etag']).toBe(first.outputs['bundle-etag'])
    // The second PutObject carries If-None-Match: * and is refused (412); the object is then read.
    expect(s3Ops('PutObject')).toBe(2)
  })

  test('never deploys the object already at the key, without packaging or uploading', async () => {
    const first = await run()
    fs.rmSync(path.join(bed.ws.app, 'appspec.yml'))
    const redeploy = await run({ upload: 'never' })
    expect(redeploy.code).toBe(0)
    expect(redeploy.outputs['uploaded']).toBe('false')
    expect(redeploy.outputs['bundle-etag']).toBe(first.outputs['bundle-etag'])
    expect(s3Ops('PutObject')).toBe(1)
    expect(cdOps('CreateDeployment')).toHaveLength(2)
  })

  test('never with no object at the key fails, naming the upload input, and deploys nothing', async () => {
    const result = await run({ upload: 'never' })
    expect(result.code).toBe(1)
    expect(result.outputs['error-message']).toBe(
      `Input 'upload' is never, but there is no bundle at s3://${BUCKET}/${KEY}. Fix: check sha, s3-bucket and s3-key-prefix, or run once with \`upload: auto\` for that commit to build and upload its bundle.`
    )
    expect(cdOps('CreateDeployment')).toEqual([])
  })
})

describe('encryption and ownership reach S3', () => {
  test('s3-sse aws:kms with a key id, and the right expected-bucket-owner', async () => {
    const keyId = 'arn:aws:kms:us-east-1:123456789000:key/1234abcd-12ab-34cd-56ef-1234567890ab'
    const result = await run({ 's3-sse': 'aws:kms', 's3-kms-key-id': keyId, 'expected-bucket-owner': bed.tb.s3.accountId })
    expect(result.code).toBe(0)
    const head = await bed.tb.s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }))
    expect([head.ServerSideEncryption, head.SSEKMSKeyId]).toEqual(['aws:kms', keyId])
  })

  test('s3-sse AES256', async () => {
    const result = await run({ 's3-sse': 'AES256' })
    expect(result.code).toBe(0)
    expect((await bed.tb.s3.getObject(BUCKET, KEY)).serverSideEncryption).toBe('AES256')
  })

  test('a bucket owned by another account is refused before anything is stored or deployed', async () => {
    const result = await run({ 'expected-bucket-owner': '111122223333' })
    expect(result.code).toBe(1)
    expect(result.outputs['error-message']).toMatch(
      /^Input 'expected-bucket-owner': Access denied while looking for s3:\/\/bundles\/app\/2{40}\.zip: .* not owned by account 111122223333\. Fix: check that bundles belongs to account 111122223333/
    )
    expect(s3Ops('PutObject') + s3Ops('CreateMultipartUpload')).toBe(0)
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(cdOps('CreateDeployment')).toEqual([])
  })
})

describe('big bundles and flaky S3', () => {
  test('a bundle over 16 MB goes up in parts; CodeDeploy gets the multipart eTag and deploys it', async () => {
    fs.writeFileSync(path.join(bed.ws.app, 'assets.bin'), randomBytes(20 * MB))
    bed.tb.s3.injectFault({ operation: 'UploadPart', kind: '5xx' })
    const result = await run()
    expect(result.code).toBe(0)
    const object = await bed.tb.s3.getObject(BUCKET, KEY)
    expect(object.etag).toMatch(/-3"$/)
    expect(createHash('sha256').update(object.body).digest('hex')).toBe(result.outputs['bundle-sha256'])
    expect([s3Ops('CreateMultipartUpload'), s3Ops('UploadPart'), s3Ops('CompleteMultipartUpload'), s3Ops('PutObject')]).toEqual([
      1, 4, 1, 0
    ])
    expect(result.outputs['bundle-etag']).toBe(object.etag.replace(/"/g, ''))
    expect(result.outputs['status']).toBe('Succeeded')
  })

  test('a single PUT that fails once is retried', async () => {
    bed.tb.s3.injectFault({ operation: 'PutObject', kind: 'reset' })
    const result = await run()
    expect(result.code).toBe(0)
    expect(s3Ops('PutObject')).toBe(2)
    expect(
      createHash('sha256')
        .update((await bed.tb.s3.getObject(BUCKET, KEY)).body)
        .digest('hex')
    ).toBe(result.outputs['bundle-sha256'])
  })
})

describe('refusals before anything is uploaded', () => {
  const cases: Array<[string, (app: string) => void, Record<string, string>, RegExp]> = [
    [
      'a symlink out of source-dir',
      app => fs.symlinkSync('../../etc/hostname', path.join(app, 'hostname')),
      {},
      /^Input 'source-dir': symlink 'hostname' points to '\.\.\/\.\.\/etc\/hostname', outside source-dir\. Fix: make the link point inside source-dir, or add 'hostname' to exclude\.$/
    ],
    [
      'an unquoted permissions mode with a leading zero',
      app =>
        fs.writeFileSync(path.join(app, 'appspec.yml'), 'version: 0.0\nos: linux\npermissions:\n  - object: /opt/app\n    mode: 0644\n'),
      {},
      /^appspec\.yml line 5: permissions for '\/opt\/app': mode 0644 is not quoted; the agent reads a leading 0 as octal and would apply mode 420\./
    ],
    [
      'a files source the exclude input leaves out',
      app =>
        fs.writeFileSync(
          path.join(app, 'appspec.yml'),
          'version: 0.0\nos: linux\nfiles:\n  - source: server.js\n    destination: /opt/app\n'
        ),
      { exclude: '*.js' },
      // Names the pattern once src/pipeline.ts passes the exclude input to checkAppSpec.
      /^Input 'exclude': appspec\.yml line 4: files source 'server\.js' is not in the bundle: it is excluded by ('\*\.js'|an exclude pattern)\./
    ]
  ]
  test.each(cases)('%s', async (_why, breakIt, extra, message) => {
    breakIt(bed.ws.app)
    const result = await run(extra)
    expect(result.code).toBe(1)
    expect(result.outputs['error-message']).toMatch(message)
    expect(errorsOf(result)).toHaveLength(1)
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(cdOps('CreateDeployment')).toEqual([])
  })
})
