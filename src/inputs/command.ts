import { ActionError } from '../core/errors.js'
import { bool, oneOf, type InputReader } from './reader.js'

/** What the step does: see action.yml's `command`. */
export type Command = 'deploy' | 'check' | 'register' | 'watch' | 'continue' | 'stop'

export const COMMANDS: readonly Command[] = ['deploy', 'check', 'register', 'watch', 'continue', 'stop']

/** The inputs that choose and steer a command. */
export interface CommandInputs {
  command: Command
  /** watch, continue, stop: the deployment they act on. */
  deploymentId: string | undefined
  /** stop: StopDeployment's autoRollbackEnabled. */
  autoRollbackOnStop: boolean
  /** Blue/green: wait through the original environment's termination wait instead of ending when traffic has moved. */
  waitForTermination: boolean
}

/** The commands that act on an existing deployment: no bundle, no S3, no checkout. */
export function actsOnDeployment(command: Command): boolean {
  return command === 'watch' || command === 'continue' || command === 'stop'
}

/** `command` alone, read first: which other inputs are required depends on it. */
export function readCommand(input: InputReader): Command {
  return oneOf(input, 'command', COMMANDS, 'deploy')
}

/** CodeDeploy deployment ids: `d-` and nine capital letters or digits. */
const DEPLOYMENT_ID = /^d-[A-Z0-9]{9}$/

export function readCommandInputs(input: InputReader, command: Command): CommandInputs {
  const given = input('deployment-id')
  const existing = actsOnDeployment(command)
  if (existing && !given) {
    throw new ActionError(`is required for command ${command} and was not set.`, {
      input: 'deployment-id',
      fix: `set it to the id of the deployment to ${command}, e.g. \`deployment-id: d-ABCDE1234\` (the deployment-id output of the step that created it).`
    })
  }
  if (!existing && given) {
    throw new ActionError(`is set, but command ${command} does not act on an existing deployment.`, {
      input: 'deployment-id',
      fix: 'choose `command: watch`, `continue` or `stop` for that deployment, or leave deployment-id empty.'
    })
  }
  if (given && !DEPLOYMENT_ID.test(given)) {
    throw new ActionError(`'${given}' is not a CodeDeploy deployment id.`, {
      input: 'deployment-id',
      fix: 'use the id as CodeDeploy shows it: d- and nine capital letters or digits, e.g. d-ABCDE1234.'
    })
  }
  const waitForTermination = bool(input, 'wait-for-termination', false)
  if (waitForTermination && (command === 'check' || command === 'register' || command === 'stop')) {
    throw new ActionError(`is true, but command ${command} never waits for a termination wait.`, {
      input: 'wait-for-termination',
      fix: 'use it with command deploy, watch or continue, or leave it at false.'
    })
  }
  if (waitForTermination && !bool(input, 'wait', true)) {
    throw new ActionError('is true, but wait is false: the step returns before traffic moves.', {
      input: 'wait-for-termination',
      fix: 'set `wait: true` to follow the deployment through the termination wait, or leave wait-for-termination at false.'
    })
  }
  return { command, deploymentId: given || undefined, autoRollbackOnStop: bool(input, 'auto-rollback-on-stop', true), waitForTermination }
}
