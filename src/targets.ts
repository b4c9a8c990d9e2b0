import {
  BatchGetDeploymentTargetsCommand,
  ListDeploymentTargetsCommand,
  type CodeDeployClient,
  type DeploymentTarget
} from '@aws-sdk/client-codedeploy'
import { abortable } from './aws-clients.js'
import { awsErrorName } from './errors.js'
import { FINAL_EVENT_STATUSES, type InstanceState, type LifecycleEventState } from './deployment-state.js'

/** BatchGetDeploymentTargets takes at most this many ids. */
export const BATCH_LIMIT = 25
const FINAL_TARGET = new Set(['Succeeded', 'Failed', 'Skipped'])

/**
 * Keeps every instance of one deployment and its lifecycle events. A refresh lists the target ids
 * (paged) and fetches only the targets that can still change: finished ones are never asked again.
 */
export class TargetTracker {
  private readonly byId = new Map<string, InstanceState>()

  constructor(private readonly cd: CodeDeployClient, private readonly deploymentId: string) {}

  get instances(): InstanceState[] {
    return [...this.byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  /** Returns the instances whose state changed since the last refresh. */
  async refresh(signal?: AbortSignal): Promise<InstanceState[]> {
    let ids: string[]
    try {
      ids = await this.listIds(signal)
    } catch (error) {
      // A deployment still in Created has no targets yet.
      if (awsErrorName(error) === 'DeploymentNotStartedException') return []
      throw error
    }
    const open = ids.filter(id => !FINAL_TARGET.has(this.byId.get(id)?.status ?? ''))
    const changed: InstanceState[] = []
    for (let i = 0; i < open.length; i += BATCH_LIMIT) {
      const out = await this.cd.send(new BatchGetDeploymentTargetsCommand({
        deploymentId: this.deploymentId,
        targetIds: open.slice(i, i + BATCH_LIMIT)
      }), abortable(signal))
      for (const target of out.deploymentTargets ?? []) {
        const next = toInstance(target)
        if (!next) continue
        const before = this.byId.get(next.id)
        if (!before || fingerprint(before) !== fingerprint(next)) changed.push(next)
        this.byId.set(next.id, next)
      }
    }
    return changed
  }

  private async listIds(signal?: AbortSignal): Promise<string[]> {
    const ids: string[] = []
    let nextToken: string | undefined
    do {
      const out = await this.cd.send(new ListDeploymentTargetsCommand({ deploymentId: this.deploymentId, nextToken }), abortable(signal))
      ids.push(...(out.targetIds ?? []))
      nextToken = out.nextToken
    } while (nextToken)
    return ids
  }
}

function toInstance(target: DeploymentTarget): InstanceState | undefined {
  const t = target.instanceTarget
  if (!t?.targetId) return undefined
  return {
    id: t.targetId,
    status: t.status ?? 'Unknown',
    events: (t.lifecycleEvents ?? []).map((e): LifecycleEventState => ({
      name: e.lifecycleEventName ?? '?',
      status: e.status ?? 'Unknown',
      startTime: e.startTime,
      endTime: e.endTime,
      diagnostics: e.diagnostics
        ? { errorCode: e.diagnostics.errorCode, scriptName: e.diagnostics.scriptName, message: e.diagnostics.message, logTail: e.diagnostics.logTail }
        : undefined
    }))
  }
}

function fingerprint(instance: InstanceState): string {
  return `${instance.status}|${instance.events.map(e => `${e.name}:${e.status}`).join(',')}`
}

export function isEventDone(event: LifecycleEventState): boolean {
  return FINAL_EVENT_STATUSES.has(event.status)
}
