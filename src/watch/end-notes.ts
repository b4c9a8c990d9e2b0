import { utcTime } from './blue-green-waits.js'
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
        `them.${readyDeadline(r)} Continue it with this action and \`command: continue\`, \`deployment-id: ${r.deploymentId}\` (or in ` +
        `the CodeDeploy console, or \`aws deploy continue-deployment --deployment-id ${r.deploymentId}\`); this step does not wait for that.`
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

/** How long CodeDeploy waits for the reroute, and what it does then. */
function readyDeadline(r: DeploymentResult): string {
  const w = r.readyWait
  if (w?.minutes === undefined) return ''
  const until = w.endsAt ? ` (until ${utcTime(w.endsAt)})` : ''
  const then =
    w.action === 'STOP_DEPLOYMENT'
      ? 'then it stops the deployment and production traffic stays on the original environment'
      : 'then it reroutes traffic by itself'
  return ` CodeDeploy waits ${w.minutes} minute(s) for that${until}; ${then}.`
}

/** Traffic has moved; only the original environment's termination wait is left (the step passes). */
export function inTerminationWait(r: DeploymentResult): boolean {
  return r.terminationWait !== undefined && !r.final && !r.timedOut && !r.cancelled
}

/** The sentence that says so, with when the original environment goes. */
export function terminationNote(r: DeploymentResult): string {
  const w = r.terminationWait
  if (!w) return ''
  const original = r.computePlatform === 'ECS' ? 'original task set' : 'original instances'
  const when = w.terminatesAt ? ` at ${utcTime(w.terminatesAt)}` : ''
  const wait = w.minutes === undefined ? 'its termination wait' : `its ${w.minutes}-minute termination wait`
  return (
    `Traffic has moved to the replacement: deployment ${r.deploymentId} keeps the ${original} for ${wait}; they will be ` +
    `terminated${when}, then CodeDeploy reports the deployment Succeeded. To terminate them now: \`command: continue\` with ` +
    `\`deployment-id: ${r.deploymentId}\`; to wait through it: \`wait-for-termination: true\`.`
  )
}
