import { READY, type DeploymentResult } from './deployment-result.js'

/** Blue/green waiting for a traffic reroute: this step's part is done (see endNotes). */
export function isReady(r: DeploymentResult): boolean {
  return r.status === READY && !r.final && !r.timedOut && !r.cancelled
}

/** What the step warns about although it passes: a deployment waiting for a reroute, failed instances. */
export function endNotes(r: DeploymentResult): string[] {
  if (isReady(r)) {
    const replacement = r.computePlatform === 'ECS' ? 'replacement task set runs' : 'replacement instances run'
    return [
      `Deployment ${r.deploymentId} is Ready: the ${replacement} the new revision and CodeDeploy waits for traffic to be rerouted to ` +
        `them. Continue it in the CodeDeploy console or with \`aws deploy continue-deployment --deployment-id ${r.deploymentId}\`; this ` +
        `step does not wait for that.`
    ]
  }
  if (!r.final || r.status !== 'Succeeded' || r.overview.Failed + r.failures.length === 0) return []
  const firsts = r.failures.filter((f, i) => r.failures.findIndex(g => g.instanceId === f.instanceId) === i)
  const named = firsts.slice(0, 10).map(f => `${f.instanceId} (${f.event})`)
  const count = Math.max(r.overview.Failed, firsts.length)
  const more = count > named.length ? [`${count - named.length} ${named.length ? 'more' : 'not read'}`] : []
  return [
    `Deployment ${r.deploymentId} succeeded, but ${count} instance(s) failed, which the deployment config's minimum healthy hosts ` +
      `allows: ${[...named, ...more].join(', ')}. Those instances may not run the new revision.`
  ]
}
