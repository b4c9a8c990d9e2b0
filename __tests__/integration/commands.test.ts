/**
 * The commands through the built action: check (nothing written anywhere), register (upload, then
 * RegisterApplicationRevision, no deployment), watch, continue and stop (a deployment-id, no
 * checkout, no bundle, no bucket). Each passes where it should and refuses with one clear error
 * where it should not act; auto-rollback-on-stop is passed to StopDeployment as given.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { load } from 'js-yaml'
import { CodeDeployClient, ListApplicationRevisionsCommand } from '@aws-sdk/client-codedeploy'
import { COMMANDS } from '../../src/inputs/command.js'
import { BUCKET, errorsOf, makeWorkspace, runWith, useTestbed, type CdRecord, type RunResult } from './harness.js'

const SHA = '3333333333333333333333333333333333333333'
const WRITES = new Set(['PUT', 'POST', 'DELETE'])
/** CodeDeploy operations that change something. */
const CD_WRITES = /^(Create|Register|Stop|Continue|Update|Delete|Put|Add|Remove)/

const bed = useTestbed({
  sha: SHA,
  groups: [
    { applicationName: 'sample-app', name: 'production', instances: 2 },
    { applicationName: 'sample-app', name: 'slow', instances: 3, autoRollback: true }
  ]
})

/** Inputs for commands that act on a deployment: nothing but the command and the id. */
const onDeployment = (command: string, id: string, extra: Record<string, string> = {}) => ({
  'application-name': undefined,
  'deployment-group': undefined,
  's3-bucket': undefined,
  's3-key-prefix': undefined,
  'source-dir': undefined,
  command,
  'deployment-id': id,
  ...extra
})

const cdWrites = (): string[] => bed.tb.codedeploy.requests.map((r: CdRecord) => r.operation).filter((op: string) => CD_WRITES.test(op))
/** The action's S3 writes (the test bed's own set-up left out). */
const s3Writes = (): string[] =>
  bed.tb.s3.requests.filter(r => WRITES.has(r.method) && /codedeploy-action/.test(r.userAgent ?? '')).map(r => `${r.operation} ${r.path}`)
const unescape = (data: string): string => data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
const oneError = (result: RunResult): string => {
  const errors = errorsOf(result, 'all')
  expect(errors).toHaveLength(1)
  return unescape(errors[0]!)
}

/** A deployment created by a first run that returns at once (wait: false). */
async function startDeployment(group = 'production'): Promise<string> {
  const started = await runWith(bed, { inputs: { wait: 'false', 'deployment-group': group } })
  expect(started.code).toBe(0)
  return started.outputs['deployment-id']!
}

describe('check', () => {
  test('reports the inputs, appspec, CodeDeploy, the bucket, the local bundle and what deploy would do, writing nothing', async () => {
    const result = await runWith(bed, { inputs: { command: 'check' } })
    expect(result.code).toBe(0)
    expect(errorsOf(result, 'all')).toEqual([])
    expect(result.outputs['status']).toBe('Checked')
    expect(result.stdout).toContain('inputs: application sample-app; group(s) production; source-dir ')
    expect(result.stdout).toContain(`upload auto, s3://${BUCKET}/app/${SHA}.zip; sha ${SHA}`)
    expect(result.stdout).toContain('appspec.yml: os linux')
    expect(result.stdout).toContain('excluded node_modules/ (by node_modules/)')
    expect(result.stdout).toContain('excluded .git/ (by .git)')
    expect(result.stdout).toMatch(/bucket: bundles: region us-east-1, versioning /)
    expect(result.stdout).toContain(`s3://${BUCKET}/app/${SHA}.zip: no object yet`)
    expect(result.stdout).toMatch(/bundle: \d+ entries, \d+ bytes, sha256 [0-9a-f]{64}/)
    expect(result.stdout).toContain(
      `deploy would: upload the bundle to s3://${BUCKET}/app/${SHA}.zip, then deploy it to production with config CodeDeployDefault.OneAtATime`
    )
    expect(result.summary).toContain('deploy would')
    expect(result.summary).toMatch(/node_modules\/ \(by node_modules\/\)/)
    expect(result.outputs['summary']).toMatch(/^CodeDeploy sample-app @ 3333333 checked: upload the bundle/)
    // Nothing written: no S3 write of any kind, no CodeDeploy call that changes anything.
    expect(s3Writes()).toEqual([])
    expect(cdWrites()).toEqual([])
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
  })

  test('with s3-key, names that key (not the prefix) in its inputs line and everywhere after', async () => {
    const result = await runWith(bed, { inputs: { command: 'check', 's3-key': 'releases/web.zip', 's3-key-prefix': '' } })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`upload auto, s3://${BUCKET}/releases/web.zip; sha ${SHA}`)
    expect(result.stdout).not.toContain(`s3://${BUCKET}/app/`)
    expect(result.stdout).toContain(`s3://${BUCKET}/releases/web.zip: no object yet`)
  })

  test('after a deploy of the same commit, says deploy would reuse the object', async () => {
    expect((await runWith(bed)).code).toBe(0)
    const writesBefore = s3Writes().length
    const result = await runWith(bed, { inputs: { command: 'check' } })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('already holds this exact bundle (same sha256): no upload')
    expect(s3Writes()).toHaveLength(writesBefore)
  })

  test('for a redeploy whose bundle is in S3, reads no tree and packages nothing, as deploy does', async () => {
    const OLD = 'a'.repeat(40)
    expect((await runWith(bed, { sha: OLD })).code).toBe(0)
    // The workspace now holds another commit, without appspec.yml even.
    fs.rmSync(path.join(bed.ws.app, 'appspec.yml'))
    const result = await runWith(bed, { inputs: { command: 'check', sha: OLD } })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      `deploy would: deploy the existing s3://${BUCKET}/app/${OLD}.zip of commit ${OLD} (a redeploy: nothing packaged)`
    )
    expect(result.stdout).not.toContain('Build the bundle locally')
  })

  test('refuses a group that does not exist, still writing nothing', async () => {
    const result = await runWith(bed, { inputs: { command: 'check', 'deployment-group': 'prod' } })
    expect(result.code).toBe(1)
    expect(oneError(result)).toContain("deployment group 'prod' does not exist")
    expect(result.outputs['status']).toBe('')
    expect(s3Writes()).toEqual([])
    expect(cdWrites()).toEqual([])
  })
})

describe('register', () => {
  test('uploads the bundle and registers it with its eTag and a description; deploys nothing', async () => {
    const result = await runWith(bed, { inputs: { command: 'register', 'deployment-group': undefined } })
    expect(result.code).toBe(0)
    expect(result.outputs['status']).toBe('Registered')
    expect(result.outputs['uploaded']).toBe('true')
    const registers = bed.cdCalls('RegisterApplicationRevision')
    expect(registers).toHaveLength(1)
    const object = await bed.tb.s3.getObject(BUCKET, `app/${SHA}.zip`)
    expect(registers[0]!.input).toEqual({
      applicationName: 'sample-app',
      description: expect.stringContaining('octo-org/sample-app@3333333'),
      revision: {
        revisionType: 'S3',
        s3Location: { bucket: BUCKET, key: `app/${SHA}.zip`, bundleType: 'zip', eTag: object.etag.replace(/"/g, '') }
      }
    })
    expect(bed.cdCalls('CreateDeployment')).toEqual([])
    expect(result.stdout).toContain(`deploy it later with \`sha: ${SHA}\` and \`upload: never\``)
    expect(result.outputs['summary']).toContain(`registered: s3://${BUCKET}/app/${SHA}.zip`)

    // The revision is listed in the application, and a later redeploy deploys exactly it.
    const cd = new CodeDeployClient({
      endpoint: bed.tb.codedeploy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' }
    })
    try {
      const listed = await cd.send(
        new ListApplicationRevisionsCommand({ applicationName: 'sample-app', s3Bucket: BUCKET, s3KeyPrefix: 'app/' })
      )
      expect(listed.revisions).toEqual([registers[0]!.input.revision])
    } finally {
      cd.destroy()
    }
    const redeploy = await runWith(bed, { inputs: { sha: SHA, upload: 'never' } })
    expect(redeploy.code).toBe(0)
    expect(bed.cdCalls('CreateDeployment')[0]!.input.revision).toEqual(registers[0]!.input.revision)
  })

  test('refuses an application that does not exist before uploading anything', async () => {
    const result = await runWith(bed, { inputs: { command: 'register', 'application-name': 'nope' } })
    expect(result.code).toBe(1)
    expect(oneError(result)).toContain("application 'nope' does not exist")
    expect(bed.cdCalls('RegisterApplicationRevision')).toEqual([])
    expect(s3Writes()).toEqual([])
  })
})

describe('watch', () => {
  test('follows a deployment started elsewhere to its end, with no checkout and no bundle inputs', async () => {
    const id = await startDeployment()
    const empty = makeWorkspace('empty')
    try {
      // Run from another commit: the deployment's own bundle names the commit it deploys.
      const result = await runWith(bed, { workspace: empty, sha: 'f'.repeat(40), inputs: onDeployment('watch', id) })
      expect(result.code).toBe(0)
      expect(result.outputs['deployment-id']).toBe(id)
      expect(result.outputs['status']).toBe('Succeeded')
      expect(result.outputs['sha']).toBe(SHA)
      expect(result.outputs['instances-succeeded']).toBe('2')
      expect(result.stdout).toContain(`Deployment ${id}: sample-app/production`)
      expect(result.stdout).toMatch(/i-0000000000000001\s+ApplicationStart\s+Succeeded/)
      expect(result.outputs['summary']).toMatch(new RegExp(`^CodeDeploy sample-app @ 3333333 succeeded: production: ${id} Succeeded`))
      expect(bed.cdCalls('CreateDeployment')).toHaveLength(1)
    } finally {
      empty.cleanup()
    }
  })

  test('refuses a deployment id that does not exist', async () => {
    const result = await runWith(bed, { inputs: onDeployment('watch', 'd-NOSUCH123') })
    expect(result.code).toBe(1)
    expect(oneError(result)).toMatch(/Input 'deployment-id' names deployment d-NOSUCH123, which does not exist.* Fix: /)
  })

  test('refuses a deployment of another application than application-name says', async () => {
    const id = await startDeployment()
    const result = await runWith(bed, { inputs: { command: 'watch', 'deployment-id': id, 'application-name': 'other-app' } })
    expect(result.code).toBe(1)
    expect(oneError(result)).toContain("which belongs to application 'sample-app', not 'other-app'")
  })
})

describe('continue', () => {
  test('refuses an in-place deployment: it never waits, so there is nothing to continue', async () => {
    const id = await startDeployment()
    await bed.tb.codedeploy.waitForEnd(id, 10_000)
    const result = await runWith(bed, { inputs: onDeployment('continue', id) })
    expect(result.code).toBe(1)
    expect(oneError(result)).toMatch(/names deployment d-\w+, which has already ended \(Succeeded\): there is nothing to continue/)
    expect(bed.cdCalls('ContinueDeployment')).toEqual([])
  })
  // The passing cases (Ready -> READY_WAIT, termination wait -> TERMINATION_WAIT) are in bluegreen.test.ts.
})

describe('stop', () => {
  test('stops a running deployment (auto-rollback-on-stop: true by default) and watches it to Stopped', async () => {
    await bed.start({ stepMs: 400, groups: [{ applicationName: 'sample-app', name: 'production', instances: 3, autoRollback: false }] })
    const id = await startDeployment()
    const result = await runWith(bed, { inputs: onDeployment('stop', id) })
    expect(result.code).toBe(0)
    expect(errorsOf(result)).toEqual([])
    expect(bed.cdCalls('StopDeployment').map(r => r.input)).toEqual([{ deploymentId: id, autoRollbackEnabled: true }])
    expect(result.outputs['status']).toBe('Stopped')
    expect(result.stdout).toContain('what it changed is rolled back (auto-rollback-on-stop: true)')
    expect(bed.tb.codedeploy.deployment(id).status).toBe('Stopped')
  })

  test('auto-rollback-on-stop: false is passed to StopDeployment', async () => {
    await bed.start({ stepMs: 400, groups: [{ applicationName: 'sample-app', name: 'production', instances: 3, autoRollback: true }] })
    const id = await startDeployment()
    const result = await runWith(bed, { inputs: onDeployment('stop', id, { 'auto-rollback-on-stop': 'false' }) })
    expect(result.code).toBe(0)
    expect(bed.cdCalls('StopDeployment').map(r => r.input)).toEqual([{ deploymentId: id, autoRollbackEnabled: false }])
    expect(result.outputs['rollback-deployment-id']).toBe('')
    expect(bed.tb.codedeploy.deployments()).toHaveLength(1)
  })

  test('refuses a deployment that has already ended', async () => {
    const id = await startDeployment()
    await bed.tb.codedeploy.waitForEnd(id, 10_000)
    const result = await runWith(bed, { inputs: onDeployment('stop', id) })
    expect(result.code).toBe(1)
    expect(oneError(result)).toMatch(/which has already ended \(Succeeded\): there is nothing to stop\. Fix: /)
    expect(bed.cdCalls('StopDeployment')).toEqual([])
  })
})

describe('examples/dispatch-commands.yml', () => {
  test('is a valid workflow that offers every command as a choice, with deployment-id and sha as strings', async () => {
    const text = fs.readFileSync(path.resolve('examples', 'dispatch-commands.yml'), 'utf8')
    const { validateWorkflow } = (await import('@action-validator/core')) as { validateWorkflow: (src: string) => { errors: unknown[] } }
    expect(validateWorkflow(text).errors).toEqual([])
    const inputs = (load(text) as { on: { workflow_dispatch: { inputs: Record<string, { type: string; options?: string[] }> } } }).on
      .workflow_dispatch.inputs
    expect(inputs['command']).toMatchObject({ type: 'choice', options: [...COMMANDS] })
    expect(inputs['deployment-id']?.type).toBe('string')
    expect(inputs['sha']?.type).toBe('string')
    expect(text).toContain('command: ${{ inputs.command }}')
    expect(text).toContain('deployment-id: ${{ inputs.deployment-id }}')
  })
})
