import { AUTO_ROLLBACK_EVENTS, type AlarmsMode, type AutoRollback, type AutoRollbackEvent } from '../core/domain.js'
import { ActionError } from '../core/errors.js'
import { bool, oneOf, type InputReader } from './reader.js'

/** The CreateDeployment options that override the deployment group's own settings for one deployment. */
export interface DeploymentOptions {
  updateOutdatedInstancesOnly: boolean
  autoRollback: AutoRollback
  alarms: AlarmsMode
}

export function readDeploymentOptions(input: InputReader, server: boolean): DeploymentOptions {
  return {
    // Instances "outdated" is an EC2/on-premises notion: CodeDeploy refuses true for ECS and Lambda.
    updateOutdatedInstancesOnly: server && bool(input, 'update-outdated-instances-only', false),
    autoRollback: readAutoRollback(input),
    alarms: oneOf(input, 'alarms', ['group', 'off'] as const, 'group')
  }
}

const ROLLBACK_FIX =
  `use group (the deployment group's own settings), off, or the events to roll back on, one per line or separated by commas: ` +
  `${AUTO_ROLLBACK_EVENTS.join(', ')}.`

/** `group`, `off`, or a list of events (one per line or comma-separated, any case). */
function readAutoRollback(input: InputReader): AutoRollback {
  const value = input('auto-rollback')
  const words = value
    .split(/[\s,]+/)
    .map(word => word.trim())
    .filter(word => word !== '')
  if (words.length === 0) return 'group'
  if (words.length === 1 && /^(group|off)$/i.test(words[0]!)) return words[0]!.toLowerCase() as 'group' | 'off'
  const events: AutoRollbackEvent[] = []
  for (const word of words) {
    const event = AUTO_ROLLBACK_EVENTS.find(known => known === word.toUpperCase())
    if (!event) {
      const why = /^(group|off)$/i.test(word) ? `'${word}' cannot be combined with events` : `'${word}' is not a rollback event`
      throw new ActionError(`${why}.`, { input: 'auto-rollback', fix: ROLLBACK_FIX })
    }
    if (events.includes(event)) throw new ActionError(`names ${event} twice.`, { input: 'auto-rollback', fix: 'list each event once.' })
    events.push(event)
  }
  return events
}
