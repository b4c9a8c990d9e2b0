// @ts-check
// The CodeDeploy simulator: state + runner + agent + HTTP server, and the test-facing API.
// Every operation has one handler (ops-read.mjs, ops-deployments.mjs) that serves all compute
// platforms; the runner (BlueGreenRunner: ECS / Lambda, over Runner: EC2/on-premises) creates,
// runs and rolls back deployments.
import { Store } from './state.mjs'
import { Faults } from './faults.mjs'
import path from 'node:path'
import { Agent } from './agent.mjs'
import { BlueGreenRunner } from './bluegreen.mjs'
import { addTrafficConfig, registerTrafficConfigs } from './traffic.mjs'
import { ecsGroup } from './ecs.mjs'
import { startServer } from './server.mjs'
import { deploymentOps } from './ops-deployments.mjs'
import { readOps } from './ops-read.mjs'
import { revisionOps } from './ops-revisions.mjs'

/**
 * @typedef {import('./state.mjs').DeploymentRecord} DeploymentRecord
 * @typedef {import('./server.mjs').RequestRecord} RequestRecord
 * @typedef {import('./faults.mjs').FaultSpec} FaultSpec
 * @typedef {import('./faults.mjs').HookRule} HookRule
 *
 * @typedef {object} GroupSpec
 * @property {string} applicationName
 * @property {string} name
 * @property {number | string[]} [instances] how many instances (ids generated, stable per group name) or their ids; default 3
 * @property {string} [deploymentConfigName] default CodeDeployDefault.OneAtATime
 * @property {boolean | { enabled: boolean, events?: string[] }} [autoRollback] true: roll back on failure and on StopDeployment
 * @property {string} [serviceRoleArn]
 * @property {{ clusterName: string, serviceName: string, desiredCount?: number }} [ecsService] ECS groups: the service (desiredCount: tasks per task set, default 2)
 * @property {[string, string]} [targetGroups] ECS groups: the target group pair (default <service>-tg-1, <service>-tg-2)
 * @property {Partial<import('./state.mjs').BlueGreenSettings>} [blueGreen] EC2/on-premises: deploy blue/green (see ec2-bluegreen.mjs);
 *   ECS: the termination wait. readyAction CONTINUE_DEPLOYMENT | STOP_DEPLOYMENT, readyMinutes, terminationAction TERMINATE | KEEP_ALIVE,
 *   terminationMinutes (configured minutes: trafficMinuteMs each)
 *
 * @typedef {{ name: string, minimumHealthyHosts: { type: 'HOST_COUNT' | 'FLEET_PERCENT', value: number } }
 *   | { name: string, computePlatform: 'ECS' | 'Lambda', trafficRoutingConfig: import('./traffic.mjs').TrafficRoutingConfig }} ConfigSpec
 *
 * @typedef {object} LocalCodeDeploy
 * @property {string} endpoint
 * @property {(spec: { name: string, computePlatform?: string }) => { applicationId: string, applicationName: string, computePlatform: string }} addApplication
 * @property {(spec: GroupSpec) => { deploymentGroupId: string, deploymentGroupName: string, instances: string[] }} addDeploymentGroup
 * @property {(spec: ConfigSpec) => void} addDeploymentConfig
 * @property {(rule: HookRule) => void} failHook make a lifecycle event fail (once, in the next deployment that runs it)
 * @property {(applicationName: string, groupName: string) => string} scaleOut an Auto Scaling scale-out: a deployment (creator autoscaling) of the group's last successful revision, by its eTag; returns its id
 * @property {(fault: FaultSpec) => void} injectFault make the next `count` matching API calls fail
 * @property {RequestRecord[]} requests every call received, in order
 * @property {(id: string) => DeploymentRecord} deployment the simulator's record (live; do not modify); throws for an unknown id
 * @property {(id: string) => import('./target-record.mjs').TargetRecord | undefined} target an ECS or Lambda deployment's target record (live; do not modify)
 * @property {() => DeploymentRecord[]} deployments all records, oldest first
 * @property {(id: string, timeoutMs?: number) => Promise<DeploymentRecord>} waitForEnd resolves when the deployment is final
 * @property {(id: string) => string} installed where the instances of an EC2/on-premises deployment have its files after Install:
 *   `path.join(installed(id), 'opt/app/index.php')` is the appspec's `/opt/app/index.php` (mtimes kept, as the agent keeps them)
 * @property {() => Promise<void>} stop
 */

/**
 * @param {{ stepMs: number, trafficMinuteMs?: number | undefined, s3: import('@aws-sdk/client-s3').S3Client, tmpDir: string, log?: ((line: string) => void) | undefined }} options
 * @returns {Promise<LocalCodeDeploy>}
 */
export async function startCodeDeploy({ stepMs, trafficMinuteMs = 200, s3, tmpDir, log }) {
  const store = new Store()
  registerTrafficConfigs(store)
  const faults = new Faults()
  const agent = new Agent({ s3, tmpDir })
  const runner = new BlueGreenRunner({ stepMs, store, agent, faults, log }, { trafficMinuteMs })
  /** @type {RequestRecord[]} */
  const requests = []
  const server = await startServer({
    handlers: { ...readOps({ store, runner }), ...deploymentOps({ store, runner }), ...revisionOps({ store }) },
    faults,
    requests,
    log
  })

  return {
    endpoint: server.endpoint,
    addApplication: spec => store.addApplication(spec),
    addDeploymentGroup(spec) {
      const platform = store.apps.get(spec.applicationName)?.computePlatform ?? 'Server'
      if (platform !== 'Server' && spec.instances !== undefined)
        throw new Error('testbed: instances are only for EC2/on-premises deployment groups')
      if (platform !== 'ECS' && (spec.ecsService || spec.targetGroups))
        throw new Error('testbed: ecsService and targetGroups are only for ECS deployment groups')
      const configPlatform = spec.deploymentConfigName ? store.configs.get(spec.deploymentConfigName)?.computePlatform : undefined
      if (configPlatform && configPlatform !== platform)
        throw new Error(`testbed: ${spec.deploymentConfigName} is a ${configPlatform} config, not ${platform}`)
      const ecs = platform === 'ECS' ? ecsGroup(spec, spec.name) : undefined
      const g = store.addDeploymentGroup(spec)
      if (ecs) runner.ecsGroups.set(g.deploymentGroupId, ecs)
      return {
        deploymentGroupId: g.deploymentGroupId,
        deploymentGroupName: g.deploymentGroupName,
        instances: platform === 'Server' ? [...g.instances] : []
      }
    },
    addDeploymentConfig(spec) {
      if ('trafficRoutingConfig' in spec) addTrafficConfig(store, spec)
      else store.addDeploymentConfig(spec)
    },
    failHook: rule => faults.failHook(rule),
    scaleOut: (applicationName, groupName) => runner.scaleOut(store.group(applicationName, groupName)).deploymentId,
    injectFault: fault => faults.injectFault(fault),
    requests,
    deployment(id) {
      const dep = store.deployments.get(id)
      if (!dep) throw new Error(`testbed: no deployment ${id}`)
      return dep
    },
    deployments: () => [...store.deployments.values()],
    target: id => runner.targets.get(id),
    installed: id => path.join(agent.deploymentDir(id), 'instance'),
    async waitForEnd(id, timeoutMs) {
      const dep = store.deployments.get(id)
      if (!dep) throw new Error(`testbed: no deployment ${id}`)
      const done = runner.whenFinal(dep)
      if (timeoutMs === undefined) return done
      /** @type {NodeJS.Timeout | undefined} */
      let timer
      const timeout = new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`testbed: deployment ${id} still ${dep.status} after ${timeoutMs} ms`)), timeoutMs)
      })
      try {
        return /** @type {DeploymentRecord} */ (await Promise.race([done, timeout]))
      } finally {
        clearTimeout(timer)
      }
    },
    async stop() {
      runner.shutdown()
      await server.close()
    }
  }
}
