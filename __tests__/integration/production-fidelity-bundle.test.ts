/**
 * What the real agent and runner do with a bundle (issue 10), through the built action:
 *  - the agent installs files with the mtime they have in the bundle, so the bundle carries the
 *    commit's time in UTC, never 1980 (the test bed's agent installs as the real one does);
 *  - a redeploy never packages a checkout of another commit under the redeployed commit's key;
 *  - the runner's SIGINT while a large tree is being packaged stops the step within a second,
 *    with nothing uploaded, nothing deployed, and the report written.
 */
import { execFileSync, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { commitTree, git } from '../helpers/git.js'
import { BUCKET, errorsOf, runWith, useTestbed, type RunResult } from './harness.js'

const { PUSHED_AT } = await import('../../testbed/harness/run-action.mjs')

const bed = useTestbed({ per: 'file', instances: 1 })
const COMMITTED = new Date('2024-03-09T23:41:07Z')
const LATER = new Date('2024-06-01T10:00:00Z')
const OTHER = 'fedcba9876543210fedcba9876543210fedcba98'

/** The deployment's installed copy of the sample app's `rel` (the appspec installs to /opt/sample-app). */
const installed = (result: RunResult, rel: string): string =>
  path.join(bed.tb.codedeploy.installed(result.outputs['deployment-id']!), 'opt/sample-app', rel)

/** The uploaded bundle, unzipped on a machine in time zone `tz`: each file's mtime in epoch ms. */
async function unzippedIn(key: string, tz: string): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cda-unzip-'))
  try {
    fs.writeFileSync(path.join(dir, 'b.zip'), (await bed.tb.s3.getObject(BUCKET, key)).body)
    execFileSync('unzip', ['-q', 'b.zip', '-d', 'x'], { cwd: dir, env: { ...process.env, TZ: tz } })
    return ['appspec.yml', 'server.js', 'scripts/start_server.sh'].map(rel => fs.statSync(path.join(dir, 'x', rel)).mtimeMs)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

describe('deployed files carry the commit time', () => {
  test('a git checkout: its committer date, installed on the instance and restored alike in Kolkata and Los Angeles', async () => {
    const sha = commitTree(bed.ws.app, COMMITTED)
    const result = await runWith(bed, { sha })
    expect(errorsOf(result)).toEqual([])
    expect(result.stdout).toContain(`Entries are dated 2024-03-09T23:41:07.000Z (the committer date of ${sha.slice(0, 12)}).`)
    expect(fs.statSync(installed(result, 'server.js')).mtime).toEqual(COMMITTED)
    expect(fs.statSync(installed(result, 'scripts/start_server.sh')).mtime).toEqual(COMMITTED)
    for (const tz of ['Asia/Kolkata', 'America/Los_Angeles']) {
      expect({ tz, mtimes: await unzippedIn(`app/${sha}.zip`, tz) }).toEqual({
        tz,
        mtimes: [COMMITTED.getTime(), COMMITTED.getTime(), COMMITTED.getTime()]
      })
    }
  })

  test("no git checkout (a tree from an artifact): the push event's head commit time", async () => {
    const result = await runWith(bed)
    expect(errorsOf(result)).toEqual([])
    expect(fs.statSync(installed(result, 'server.js')).mtime).toEqual(new Date(PUSHED_AT))
    expect(result.commands.filter(c => c.includes('SOURCE_DATE_EPOCH'))).toEqual([])
  })
})

describe('a redeploy whose bundle is missing (upload: auto) packages source-dir only when it is a checkout of that commit', () => {
  test('a checkout of a later commit is refused, naming the key and both fixes; once that commit is checked out, it is packaged', async () => {
    const older = commitTree(bed.ws.app, COMMITTED, 'older')
    fs.writeFileSync(path.join(bed.ws.app, 'server.js'), '// the next release\n')
    const newer = commitTree(bed.ws.app, LATER, 'newer')
    const creates = bed.cdCalls('CreateDeployment').length

    const refused = await runWith(bed, { sha: newer, inputs: { sha: older } })
    expect(refused.code).toBe(1)
    expect(errorsOf(refused)).toEqual([
      `::error::Input 'sha' names ${older}, but source-dir is a checkout of ${newer}: packaging it would put another commit's tree at ` +
        `s3://${BUCKET}/app/${older}.zip. Fix: check out that commit before this step (actions/checkout with \`ref: ${older}\`), or upload ` +
        `its bundle first (run the workflow for ${older}, which packages and uploads it), then redeploy.`
    ])
    expect(await bed.tb.s3.listKeys(BUCKET)).not.toContain(`app/${older}.zip`)
    expect(bed.cdCalls('CreateDeployment')).toHaveLength(creates)

    git(bed.ws.app, ['checkout', '-q', older])
    const redeployed = await runWith(bed, { sha: newer, inputs: { sha: older } })
    expect(errorsOf(redeployed)).toEqual([])
    expect(redeployed.outputs['bundle-uri']).toBe(`s3://${BUCKET}/app/${older}.zip`)
    expect(fs.readFileSync(installed(redeployed, 'server.js'), 'utf8')).not.toBe('// the next release\n')
    expect(fs.statSync(installed(redeployed, 'server.js')).mtime).toEqual(COMMITTED)
  })

  test('not a git checkout, and sha names another commit than the workflow: refused, nothing uploaded or deployed', async () => {
    const creates = bed.cdCalls('CreateDeployment').length
    const result = await runWith(bed, { inputs: { sha: OTHER } })
    expect(result.code).toBe(1)
    expect(errorsOf(result)).toEqual([
      expect.stringContaining(
        `::error::Input 'sha' names ${OTHER}, another commit than the workflow's, and source-dir is not in a git repository, so nothing ` +
          `shows that it holds that commit: its tree will not be packaged as s3://${BUCKET}/app/${OTHER}.zip. Fix: check out that commit`
      )
    ])
    expect(await bed.tb.s3.listKeys(BUCKET)).not.toContain(`app/${OTHER}.zip`)
    expect(bed.cdCalls('CreateDeployment')).toHaveLength(creates)
  })
})

describe('a cancel while a large tree is packaged', () => {
  /** Text that deflates like source code, not like one repeated line: 1 MiB of words, varied per file. */
  function block(seed: number): Buffer {
    const words = ['const', 'return', 'value', 'deploy', 'bundle', 'instance', 'hook', '=>', '{', '}', ';\n', 'await', 'export']
    const out: string[] = []
    let x = seed
    let length = 0
    while (length < 1 << 20) {
      x = (x * 1103515245 + 12345) >>> 0
      const word = x % 5 === 0 ? String(x % 99991) : words[x % words.length]!
      out.push(word, ' ')
      length += word.length + 1
    }
    return Buffer.from(out.join('').slice(0, 1 << 20))
  }

  test('SIGINT stops packaging within a second: the report is written, nothing uploaded, no multipart upload left, nothing deployed', async () => {
    const big = path.join(bed.ws.app, 'assets')
    fs.mkdirSync(big)
    // Blocks repeat only a MiB apart, beyond deflate's 32 KiB window: each costs the work of new text.
    const blocks = Array.from({ length: 8 }, (_, i) => block(i + 1))
    for (let i = 0; i < 48; i++)
      fs.writeFileSync(path.join(big, `bundle-${i}.js`), Buffer.concat(blocks.slice(i % 8).concat(blocks.slice(0, i % 8))))
    const keys = await bed.tb.s3.listKeys(BUCKET)
    const creates = bed.cdCalls('CreateDeployment').length
    const state: { packagingAt?: number; sentAt?: number; exitedAt?: number } = {}
    const onLine = (line: string, child: ChildProcess): void => {
      if (state.packagingAt !== undefined || line !== '::group::Package and upload') return
      state.packagingAt = Date.now()
      child.once('exit', () => (state.exitedAt = Date.now()))
      // Well inside the writer: 384 MiB take seconds to deflate.
      setTimeout(() => {
        state.sentAt = Date.now()
        child.kill('SIGINT')
      }, 500)
    }
    const result = await runWith(bed, { onLine, inputs: { sha: undefined } })
    const stoppedMs = state.exitedAt! - state.sentAt!
    process.stdout.write(`cancel while packaging 384 MiB: the step ended ${stoppedMs} ms after SIGINT\n`)
    expect(stoppedMs).toBeLessThan(1000)
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('Received SIGINT')
    expect(result.stdout).not.toMatch(/^Bundle: /m) // the writer was stopped, not left to finish
    expect(errorsOf(result)).toEqual([
      expect.stringMatching(/^::error::Cancelled while packaging: nothing was uploaded and nothing was deployed\./)
    ])
    expect(result.outputs['deployment-id']).toBe('')
    expect(result.summary).toContain('Cancelled while packaging')
    await bed.tb.s3.idle()
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual(keys)
    expect(await bed.tb.s3.listMultipartUploads(BUCKET)).toEqual([])
    expect(bed.cdCalls('CreateDeployment')).toHaveLength(creates)
  }, 120_000)
})
