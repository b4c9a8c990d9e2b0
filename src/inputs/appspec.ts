import * as fs from 'node:fs'
import * as path from 'node:path'
import { ActionError } from '../core/errors.js'
import type { InputReader } from './reader.js'

/** ECS and Lambda: the AppSpec sent as content instead of a bundle. */
export interface AppSpecInput {
  /** Absolute, symlinks resolved. */
  path: string
  /** As given (relative to the workspace): how messages name the file. */
  given: string
  /** appspec-vars: placeholder name -> value. */
  vars: Map<string, string>
  /** Inputs that were set but only serve EC2/on-premises deployments (packaging, S3). */
  unused: string[]
}

/** Inputs that only an EC2/on-premises deployment uses, and their action.yml defaults. */
const SERVER_ONLY: ReadonlyArray<[string, string]> = [
  ['s3-bucket', ''],
  ['s3-key-prefix', ''],
  ['source-dir', '.'],
  ['exclude', ''],
  ['bundle-type', 'zip'],
  ['upload', 'auto'],
  ['file-exists-behavior', ''],
  ['ignore-application-stop-failures', 'false'],
  ['s3-sse', ''],
  ['s3-kms-key-id', ''],
  ['expected-bucket-owner', ''],
  ['bundle', ''],
  ['s3-key', ''],
  ['update-outdated-instances-only', 'false']
]
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `appspec` and `appspec-vars`; undefined for an EC2/on-premises deployment (no `appspec`). */
export function readAppSpecInput(input: InputReader, workspace: string): AppSpecInput | undefined {
  const given = input('appspec')
  if (!given) {
    if (input('appspec-vars')) {
      throw new ActionError('is set, but appspec is empty: placeholders are filled in the AppSpec of an ECS or Lambda deployment only.', {
        input: 'appspec-vars',
        fix: 'set appspec to the AppSpec file that holds the placeholders, or remove appspec-vars.'
      })
    }
    return undefined
  }
  return {
    path: readPath(given, workspace),
    given,
    vars: readVars(input('appspec-vars')),
    unused: SERVER_ONLY.filter(([name, fallback]) => input(name) !== '' && input(name).toLowerCase() !== fallback).map(([name]) => name)
  }
}

function readPath(given: string, workspace: string): string {
  const absolute = path.resolve(workspace, given)
  const fix =
    'give the path of the AppSpec file relative to the workspace (appspec is for ECS and Lambda deployments; EC2/on-premises ones read ' +
    'appspec.yml from source-dir), and check that actions/checkout ran before this step.'
  let stat: fs.Stats
  try {
    stat = fs.statSync(absolute)
  } catch {
    throw new ActionError(`'${given}' does not exist (looked for ${absolute}).`, { input: 'appspec', fix })
  }
  if (!stat.isFile()) throw new ActionError(`'${given}' is a directory, not a file.`, { input: 'appspec', fix })
  const real = fs.realpathSync(absolute)
  const realWorkspace = fs.realpathSync(workspace)
  if (!real.startsWith(realWorkspace + path.sep)) {
    throw new ActionError(`'${given}' is outside the workspace (${realWorkspace}).`, {
      input: 'appspec',
      fix: 'use an AppSpec file inside the checked-out repository (or one an earlier step wrote into the workspace).'
    })
  }
  return real
}

/** `NAME=value` lines; `#` starts a comment line. A value may hold `=`, not a line break. */
function readVars(text: string): Map<string, string> {
  const vars = new Map<string, string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    const name = eq < 0 ? line : line.slice(0, eq).trim()
    const value = eq < 0 ? '' : line.slice(eq + 1).trim()
    if (eq < 0 || !NAME.test(name)) {
      throw new ActionError(`line '${line}' is not NAME=value.`, {
        input: 'appspec-vars',
        fix:
          'write one `NAME=value` per line, NAME made of letters, digits and _ (it fills <NAME> and ${NAME} in the AppSpec), e.g. ' +
          '`TASK_DEFINITION=${{ steps.task-def.outputs.task-definition-arn }}`.'
      })
    }
    if (vars.has(name)) throw new ActionError(`names ${name} twice.`, { input: 'appspec-vars', fix: `keep one ${name}= line.` })
    if (value === '') {
      // The usual cause: an expression whose step output was never set.
      throw new ActionError(`has an empty value for ${name}.`, {
        input: 'appspec-vars',
        fix: `check what fills ${name} (a step output that was not set gives an empty string), or remove the line.`
      })
    }
    vars.set(name, value)
  }
  return vars
}
