// The simulated agent installs a revision as the real one does: unpacked with `unzip -qo` or
// `tar -zxpsf` (linux_util.rb), then the appspec's files copied with their mtimes kept
// (FileUtils.copy preserve: true, install_instruction.rb). So a bundle's timestamps are what the
// test bed's instances end up with, and an archive a strict reader rejects fails DownloadBundle.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { CodeDeployClient, CreateDeploymentCommand } from '@aws-sdk/client-codedeploy'
import type { Testbed } from '../../testbed/index.mjs'

let tb: Testbed
let s3: S3Client
let cd: CodeDeployClient
let work: string
const BUCKET = 'bundles'
const COMMITTED = new Date('2024-03-09T23:41:07Z')
const OLDER = new Date('2023-07-01T12:00:01Z')
const APPSPEC = 'version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /opt/app\n'

beforeAll(async () => {
  const { startTestbed } = await import('../../testbed/index.mjs')
  tb = await startTestbed({ stepMs: 10 })
  const credentials = { accessKeyId: tb.env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: tb.env['AWS_SECRET_ACCESS_KEY'] ?? '' }
  s3 = new S3Client({
    endpoint: tb.s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED'
  })
  cd = new CodeDeployClient({ endpoint: tb.codedeploy.endpoint, region: 'us-east-1', credentials })
  await tb.s3.createBucket(BUCKET)
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cda-agent-install-'))
})

afterAll(async () => {
  s3?.destroy()
  cd?.destroy()
  await tb?.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

let seq = 0
/** Uploads `file` and deploys it to a fresh one-instance group; resolves with the final record. */
async function deploy(file: string, bundleType: 'zip' | 'tgz') {
  const n = ++seq
  tb.codedeploy.addApplication({ name: `app-${n}` })
  tb.codedeploy.addDeploymentGroup({ applicationName: `app-${n}`, name: `group-${n}`, instances: 1 })
  const key = `rev-${n}.${bundleType}`
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: fs.readFileSync(file) }))
  const { deploymentId } = await cd.send(
    new CreateDeploymentCommand({
      applicationName: `app-${n}`,
      deploymentGroupName: `group-${n}`,
      revision: { revisionType: 'S3', s3Location: { bucket: BUCKET, key, bundleType } }
    })
  )
  return tb.codedeploy.waitForEnd(deploymentId!, 10_000)
}

/** A source tree whose files carry known mtimes: appspec.yml and www/index.php at COMMITTED, lib/old.py at OLDER. */
function tree(): string {
  const dir = fs.mkdtempSync(path.join(work, 'src-'))
  fs.mkdirSync(path.join(dir, 'www'))
  fs.mkdirSync(path.join(dir, 'lib'))
  fs.writeFileSync(path.join(dir, 'appspec.yml'), APPSPEC)
  fs.writeFileSync(path.join(dir, 'www', 'index.php'), '<?php echo "v2";\n')
  fs.writeFileSync(path.join(dir, 'lib', 'old.py'), 'print("old")\n')
  for (const [rel, at] of [
    ['appspec.yml', COMMITTED],
    ['www/index.php', COMMITTED],
    ['lib/old.py', OLDER]
  ] as const)
    fs.utimesSync(path.join(dir, rel), at, at)
  return dir
}

const mtimeOf = (deploymentId: string, rel: string): string =>
  fs.statSync(path.join(tb.codedeploy.installed(deploymentId), rel)).mtime.toISOString()

test.each([
  [
    'zip',
    (src: string, out: string) => execFileSync('zip', ['-q', '-r', out, '.'], { cwd: src, env: { ...process.env, TZ: 'Asia/Kolkata' } })
  ],
  ['tgz', (src: string, out: string) => execFileSync('tar', ['-czf', out, '-C', src, '.'])]
] as const)('%s: every installed file has the mtime it has in the bundle; directories are made fresh', async (type, pack) => {
  const src = tree()
  const out = path.join(work, `bundle-${seq}.${type}`)
  pack(src, out)
  const before = Date.now()
  const dep = await deploy(out, type)
  expect(dep.status).toBe('Succeeded')
  expect([mtimeOf(dep.deploymentId, 'opt/app/www/index.php'), mtimeOf(dep.deploymentId, 'opt/app/appspec.yml')]).toEqual([
    COMMITTED.toISOString(),
    COMMITTED.toISOString()
  ])
  expect(mtimeOf(dep.deploymentId, 'opt/app/lib/old.py')).toBe(OLDER.toISOString())
  expect(fs.readFileSync(path.join(tb.codedeploy.installed(dep.deploymentId), 'opt/app/www/index.php'), 'utf8')).toBe('<?php echo "v2";\n')
  expect(fs.statSync(path.join(tb.codedeploy.installed(dep.deploymentId), 'opt/app/www')).mtimeMs).toBeGreaterThanOrEqual(before - 1000)
})

test('a zip whose file data does not match its CRC fails DownloadBundle, as unzip makes the agent fail', async () => {
  const src = tree()
  const out = path.join(work, 'corrupt.zip')
  execFileSync('zip', ['-q', '-0', '-r', out, '.'], { cwd: src })
  const bytes = fs.readFileSync(out)
  const at = bytes.indexOf(Buffer.from('print("old")'))
  bytes[at] = 'P'.charCodeAt(0) // same size, other bytes: only the CRC can tell
  fs.writeFileSync(out, bytes)
  const dep = await deploy(out, 'zip')
  expect(dep.status).toBe('Failed')
  const download = dep.instances[0]!.events.find((e: { lifecycleEventName: string }) => e.lifecycleEventName === 'DownloadBundle')!
  expect(download.status).toBe('Failed')
  expect(download.diagnostics?.message).toMatch(/^Error extracting zip archive: 2 \(.*lib\/old\.py.*bad CRC/)
})
