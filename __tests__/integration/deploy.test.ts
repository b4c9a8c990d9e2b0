/**
 * The built action (dist/index.js), run the way the GitHub runner runs it, against the local S3
 * (s3rver) and the CodeDeploy simulator. Asserts on what a user sees: outputs, the job summary,
 * the log, the bundle's real bytes in S3, and the requests CodeDeploy received.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import AdmZip from 'adm-zip'
import { EC2_EVENTS } from '../helpers/codedeploy.js'
import { BUCKET, errorsOf, runWith, SAMPLE_APP_INPUTS, useTestbed } from './harness.js'

const SHA = '1111111111111111111111111111111111111111'
const KEY = `sample-app/${SHA}.zip`

const bed = useTestbed({ sha: SHA, inputs: { ...SAMPLE_APP_INPUTS, 's3-key-prefix': 'sample-app/' } })

const run = (extra: Record<string, string> = {}) => runWith(bed, { inputs: extra })
const operations = (): string[] => bed.tb.codedeploy.requests.map((r: { operation: string }) => r.operation)

describe('a passing deployment', () => {
  test('uploads the bundle, deploys it by eTag and reports every instance', async () => {
    const result = await run()
    expect(result.stderr).not.toMatch(/Error/)
    expect(result.code).toBe(0)
    const out = result.outputs

    // The object in S3 is exactly the bundle the outputs describe.
    const object = await bed.tb.s3.getObject(BUCKET, KEY)
    expect(out['bundle-uri']).toBe(`s3://${BUCKET}/${KEY}`)
    expect(out['bundle-sha256']).toBe(createHash('sha256').update(object.body).digest('hex'))
    expect(out['bundle-size']).toBe(String(object.body.length))
    expect(out['bundle-etag']).toBe(object.etag.replace(/"/g, ''))
    expect(object.metadata['sha256']).toBe(out['bundle-sha256'])
    expect(out['uploaded']).toBe('true')
    expect(out['sha']).toBe(SHA)

    // What is in it: the app, exec bits kept, no node_modules/ and never .git/.
    const zip = new AdmZip(object.body)
    const names = zip.getEntries().map(e => e.entryName)
    expect(names).toEqual([...names].sort())
    expect(names).toContain('appspec.yml')
    expect(names).toContain('server.js')
    expect(names.filter(n => n.startsWith('node_modules') || n.startsWith('.git'))).toEqual([])
    const script = zip.getEntry('scripts/start_server.sh')!
    expect((script.header.attr >>> 16) & 0o777).toBe(0o755)
    expect(script.getData().toString()).toBe(fs.readFileSync(path.join(bed.ws.app, 'scripts', 'start_server.sh'), 'utf8'))

    // CodeDeploy was asked to deploy exactly that object.
    const create = bed.tb.codedeploy.requests.find((r: { operation: string }) => r.operation === 'CreateDeployment')!
    expect(create.input.revision).toEqual({
      revisionType: 'S3',
      s3Location: { bucket: BUCKET, key: KEY, bundleType: 'zip', eTag: object.etag.replace(/"/g, '') }
    })
    expect(create.input.description).toContain('octo-org/sample-app@1111111')
    expect(create.input.applicationName).toBe('sample-app')
    expect(create.input.deploymentGroupName).toBe('production')

    // Outputs a Slack job can use.
    expect(out['deployment-id']).toMatch(/^d-[A-Z0-9]{9}$/)
    expect(out['status']).toBe('Succeeded')
    expect(out['deployment-url']).toBe(
      `https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/${out['deployment-id']}?region=us-east-1`
    )
    expect([out['instances-succeeded'], out['instances-failed'], out['instances-total']]).toEqual(['3', '0', '3'])
    expect(out['error-code']).toBe('')
    expect(JSON.parse(out['deployments']!)).toEqual([
      expect.objectContaining({ group: 'production', 'deployment-id': out['deployment-id'], status: 'Succeeded' })
    ])
    expect(out['summary']).toMatch(
      new RegExp(`sample-app @ 1111111 succeeded: production: ${out['deployment-id']} Succeeded, 3/3 instances succeeded`)
    )
    expect(Number(out['duration-seconds'])).toBeGreaterThanOrEqual(0)

    // The log streamed every lifecycle event of every instance, once each.
    const sim = bed.tb.codedeploy.deployment(out['deployment-id']!)
    expect(sim.status).toBe('Succeeded')
    for (const line of EC2_EVENTS) {
      const printed = result.stdout.split('\n').filter(l => new RegExp(`i-\\w+\\s+${line}\\s+Succeeded`).test(l))
      expect(printed).toHaveLength(3)
    }
    expect(result.stdout).toContain(`Created deployment ${out['deployment-id']}`)

    // The job summary: the deployment, the bundle, the instance table.
    expect(result.summary).toContain('✅ CodeDeploy: sample-app → production')
    expect(result.summary).toContain(`[${out['deployment-id']}](${out['deployment-url']})`)
    expect(result.summary).toContain(`s3://${BUCKET}/${KEY}`)
    expect(result.summary.match(/^\| `i-\w+` \| ✅ Succeeded \|/gm)).toHaveLength(3)
  })

  test('a re-run of the same commit reuses the identical bundle instead of uploading it again', async () => {
    const first = await run()
    expect(first.code).toBe(0)
    const second = await run()
    expect(second.code).toBe(0)
    expect(second.outputs['uploaded']).toBe('false')
    expect(second.outputs['bundle-sha256']).toBe(first.outputs['bundle-sha256'])
    expect(second.outputs['bundle-etag']).toBe(first.outputs['bundle-etag'])
    expect(second.outputs['deployment-id']).not.toBe(first.outputs['deployment-id'])
  })
})

describe('a failing deployment', () => {
  test('names the instance, the hook, the script and its log tail, and fails the step', async () => {
    bed.tb.codedeploy.failHook({
      event: 'ApplicationStart',
      instanceId: 'i-0000000000000002',
      message: 'Script at specified location: scripts/start_server.sh run as user root failed with exit code 1',
      logTail: '[stderr]Error: listen EADDRINUSE: address already in use :::8080'
    })
    const result = await run()
    expect(result.code).toBe(1)
    const out = result.outputs
    expect(out['status']).toBe('Failed')
    expect(out['failed-instance']).toBe('i-0000000000000002')
    expect(out['failed-event']).toBe('ApplicationStart')
    expect(out['error-code']).toBe('ScriptFailed')
    expect(out['error-message']).toContain('failed with exit code 1')
    expect(out['summary']).toContain('FAILED')
    expect(out['summary']).toContain('at ApplicationStart on i-0000000000000002')

    // An error annotation for the hook, the log tail in the log, a diagnosis as the failure.
    expect(result.commands).toContainEqual(
      expect.stringMatching(
        /^::error title=i-0000000000000002 failed ApplicationStart::ScriptFailed in scripts\/start_server.sh: Script at specified location/
      )
    )
    expect(result.stdout).toContain('| [stderr]Error: listen EADDRINUSE: address already in use :::8080')
    const failure = errorsOf(result)
    expect(failure).toHaveLength(1)
    expect(failure[0]).toMatch(
      /Deployment d-\w+ \(sample-app\/production\) Failed\. ApplicationStart failed on i-0000000000000002 \(ScriptFailed in scripts\/start_server\.sh\)/
    )
    expect(failure[0]).toContain('HEALTH_CONSTRAINTS')

    expect(result.summary).toContain('❌ CodeDeploy: sample-app → production')
    expect(result.summary).toContain('[stderr]Error: listen EADDRINUSE')
    expect(result.summary).toMatch(/```text\n\[stderr\]Error: listen EADDRINUSE/)
  })
})

describe('bad input fails before anything is uploaded or deployed', () => {
  const cases: Array<[string, (root: string) => void, Record<string, string>, RegExp]> = [
    ['no appspec.yml', app => fs.rmSync(path.join(app, 'appspec.yml')), {}, /no appspec\.yml at the root of .*Fix: add appspec\.yml/],
    [
      'appspec.yaml instead of appspec.yml',
      app => fs.renameSync(path.join(app, 'appspec.yml'), path.join(app, 'appspec.yaml')),
      {},
      /Found appspec\.yaml .*Fix: rename appspec\.yaml to appspec\.yml/
    ],
    [
      'YAML that does not parse',
      app =>
        fs.writeFileSync(
          path.join(app, 'appspec.yml'),
          'version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n  - location: a.sh\n   timeout: 3\n'
        ),
      {},
      /appspec\.yml line \d+ is not valid YAML/
    ],
    [
      'a hook script missing from the bundle',
      app => fs.rmSync(path.join(app, 'scripts', 'start_server.sh')),
      {},
      /ApplicationStart script 'scripts\/start_server\.sh' is not in the bundle/
    ],
    ['a missing source-dir', () => undefined, { 'source-dir': 'nope' }, /Input 'source-dir': 'nope' does not exist/],
    [
      'a missing required input',
      () => undefined,
      { 'application-name': '' },
      /Input 'application-name' is required and was not set\. Fix:/
    ],
    ['an unknown application', () => undefined, { 'application-name': 'other-app' }, /application 'other-app' does not exist/],
    [
      'an unknown deployment group',
      () => undefined,
      { 'deployment-group': 'staging' },
      /deployment group 'staging' does not exist in application 'sample-app'/
    ]
  ]
  test.each(cases)('%s', async (_name, breakIt, extra, message) => {
    breakIt(bed.ws.app)
    const result = await run(extra)
    expect(result.code).toBe(1)
    const errors = errorsOf(result)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(message)
    expect(result.outputs['error-message']).toMatch(message)
    expect(result.outputs['deployment-id']).toBe('')
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
    expect(operations()).not.toContain('CreateDeployment')
  })
})
