/**
 * Blue/green to the end, through the built action against the simulator: an EC2 deployment that
 * waits for a manual reroute (the step ends Ready and says how to go on), `command: continue`
 * (READY_WAIT) that reroutes and ends once only the termination wait is left (with the time the
 * original instances go), `continue` again (TERMINATION_WAIT) to the end; wait-for-termination,
 * whose wait extends the time-out; and an ECS deployment's termination wait.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { errorsOf, runWith, useTestbed } from './harness.js'

const SHA = '4444444444444444444444444444444444444444'
const UTC_TIME = /\d{4}-\d\d-\d\d \d\d:\d\d UTC/

const bed = useTestbed({ autoStart: false, sha: SHA, timeoutMs: 60_000 })

const onDeployment = (command: string, id: string) => ({
  'application-name': undefined,
  'deployment-group': undefined,
  's3-bucket': undefined,
  's3-key-prefix': undefined,
  'source-dir': undefined,
  command,
  'deployment-id': id
})

describe('EC2/on-premises blue/green', () => {
  test('manual reroute: deploy ends Ready; continue reroutes and ends in the termination wait; continue again ends it', async () => {
    await bed.start({
      trafficMinuteMs: 1000,
      groups: [
        {
          applicationName: 'sample-app',
          name: 'production',
          instances: 2,
          blueGreen: { readyAction: 'STOP_DEPLOYMENT', readyMinutes: 60, terminationMinutes: 30 }
        }
      ]
    })

    const deployed = await runWith(bed)
    expect(deployed.code).toBe(0)
    expect(errorsOf(deployed, 'all')).toEqual([])
    const id = deployed.outputs['deployment-id']!
    expect(deployed.outputs['status']).toBe('Ready')
    expect(bed.tb.codedeploy.deployment(id).status).toBe('Ready')
    const text = deployed.stdout.replace(/\n/g, ' ')
    expect(text).toMatch(/CodeDeploy waits 60 minute\(s\) for that \(until \d{4}-\d\d-\d\d \d\d:\d\d UTC\); then it stops the deployment/)
    expect(text).toContain(`\`command: continue\`, \`deployment-id: ${id}\``)
    expect(deployed.outputs['summary']).toContain('Ready (waiting for traffic reroute)')
    expect(deployed.outputs['instances-total']).toBe('4')

    const continued = await runWith(bed, { inputs: onDeployment('continue', id) })
    expect(continued.code).toBe(0)
    expect(errorsOf(continued, 'all')).toEqual([])
    expect(bed.cdCalls('ContinueDeployment').map(r => r.input)).toEqual([{ deploymentId: id, deploymentWaitType: 'READY_WAIT' }])
    // Traffic moved: replacement instances took traffic, the original ones were blocked.
    expect(continued.stdout).toMatch(/AllowTraffic\s+Succeeded/)
    expect(continued.stdout).toMatch(/i-0000000000000001\s+BlockTraffic\s+Succeeded/)
    expect(continued.outputs['status']).toBe('InProgress')
    const note = continued.stdout.replace(/\n/g, ' ')
    expect(note).toMatch(
      new RegExp(
        `deployment ${id} keeps the original instances for its 30-minute termination wait; they will be terminated at ${UTC_TIME.source}`
      )
    )
    expect(continued.outputs['summary']).toMatch(
      new RegExp(`${id} traffic moved \\(InProgress: original environment terminated at ${UTC_TIME.source}\\)`)
    )
    expect(continued.summary).toContain('termination wait')
    // The time given is 30 minutes after the last lifecycle event ended.
    const dep = bed.tb.codedeploy.deployment(id)
    expect(dep.status).toBe('InProgress')
    expect(dep.instanceTerminationWaitTimeStarted).toBe(true)
    const lastEnd = Math.max(...dep.instances.flatMap(i => i.events.map(e => e.endTime ?? 0)))
    const expected = new Date(lastEnd + 30 * 60_000).toISOString().slice(0, 16).replace('T', ' ')
    expect(note).toContain(`terminated at ${expected} UTC`)

    const ended = await runWith(bed, { inputs: onDeployment('continue', id) })
    expect(ended.code).toBe(0)
    expect(bed.cdCalls('ContinueDeployment').map(r => r.input.deploymentWaitType)).toEqual(['READY_WAIT', 'TERMINATION_WAIT'])
    expect(ended.outputs['status']).toBe('Succeeded')
    expect(bed.tb.codedeploy.deployment(id).status).toBe('Succeeded')
  })

  test('wait-for-termination waits through the termination wait, its length added to the time-out', async () => {
    await bed.start({
      trafficMinuteMs: 5000,
      groups: [{ applicationName: 'sample-app', name: 'production', instances: 2, blueGreen: { terminationMinutes: 1 } }]
    })
    // 1.2 s would not cover the 5 s termination wait: only the extension lets the step see the end.
    const result = await runWith(bed, { inputs: { 'wait-for-termination': 'true', 'timeout-minutes': '0.02' } })
    expect(result.code).toBe(0)
    expect(result.outputs['status']).toBe('Succeeded')
    expect(result.stdout).toContain('The time-out is extended by 1 minute(s)')
    expect(result.stdout).toContain("waiting through the original environment's termination wait")
    expect(bed.cdCalls('ContinueDeployment')).toEqual([])
  })

  test('without wait-for-termination, the same deployment ends the step once traffic has moved', async () => {
    await bed.start({
      trafficMinuteMs: 5000,
      groups: [{ applicationName: 'sample-app', name: 'production', instances: 2, blueGreen: { terminationMinutes: 1 } }]
    })
    const result = await runWith(bed)
    expect(result.code).toBe(0)
    expect(result.outputs['status']).toBe('InProgress')
    expect(result.stdout).toContain('1-minute termination wait')
    expect(bed.tb.codedeploy.deployment(result.outputs['deployment-id']!).status).toBe('InProgress')
  })
})

describe('ECS blue/green', () => {
  const APPSPEC = `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: arn:aws:ecs:us-east-1:123456789000:task-definition/web:42
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 8080
`

  test('the step ends when traffic has moved, naming when the original task set goes; continue ends the wait', async () => {
    await bed.start({
      trafficMinuteMs: 1000,
      bucket: null,
      applications: [{ name: 'web', computePlatform: 'ECS' }],
      groups: [
        {
          applicationName: 'web',
          name: 'prod',
          ecsService: { clusterName: 'main', serviceName: 'web', desiredCount: 2 },
          blueGreen: { terminationMinutes: 60 }
        }
      ]
    })
    fs.writeFileSync(path.join(bed.ws.root, 'appspec.yaml'), APPSPEC)
    const inputs = {
      'application-name': 'web',
      'deployment-group': 'prod',
      's3-bucket': undefined,
      'source-dir': undefined,
      's3-key-prefix': undefined
    }
    const deployed = await runWith(bed, { inputs: { ...inputs, appspec: 'appspec.yaml' } })
    expect(deployed.code).toBe(0)
    expect(errorsOf(deployed, 'all')).toEqual([])
    const id = deployed.outputs['deployment-id']!
    expect(deployed.outputs['status']).toBe('InProgress')
    expect(deployed.stdout.replace(/\n/g, ' ')).toMatch(
      new RegExp(`keeps the original task set for its 60-minute termination wait; they will be terminated at ${UTC_TIME.source}`)
    )
    expect(deployed.stdout).toMatch(/traffic Blue 0% \/ Green 100%/)
    expect(bed.tb.codedeploy.deployment(id).instanceTerminationWaitTimeStarted).toBe(true)

    const ended = await runWith(bed, { inputs: onDeployment('continue', id) })
    expect(ended.code).toBe(0)
    expect(bed.cdCalls('ContinueDeployment').map(r => r.input)).toEqual([{ deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' }])
    expect(ended.outputs['status']).toBe('Succeeded')
    expect(bed.tb.codedeploy.target(id)?.taskSets.find(s => s.taskSetLabel === 'Blue')?.status).toBe('DRAINING')
  })
})
