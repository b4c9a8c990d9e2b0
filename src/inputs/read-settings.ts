import * as fs from 'node:fs'
import * as path from 'node:path'
import { ActionError } from '../core/errors.js'
import { readAppSpecInput } from './appspec.js'
import { bool, lines, oneOf, required, type InputReader } from './reader.js'
import { readBucket, readBucketOwner, readKeyPrefix } from './s3.js'
import type { Settings } from './settings.js'

/** CreateDeployment refuses longer descriptions. */
export const DESCRIPTION_LIMIT = 100
const MAX_TIMEOUT_MINUTES = 360 // a GitHub-hosted job cannot run longer

export function readSettings(input: InputReader, env: NodeJS.ProcessEnv): Settings {
  const workspace = path.resolve(env['GITHUB_WORKSPACE'] || process.cwd())
  // Required inputs first: a workflow missing one hears about that before anything else.
  const applicationName = required(input, 'application-name', 'the CodeDeploy application, e.g. `application-name: my-app`')
  const deploymentGroups = readGroups(input)
  const appspec = readAppSpecInput(input, workspace)
  // ECS and Lambda send the AppSpec as content: nothing is packaged or uploaded.
  const server = appspec === undefined
  const s3Bucket = server ? readBucket(input) : ''
  const sha = readSha(input, env)
  const upload = server ? oneOf(input, 'upload', ['auto', 'always', 'never'] as const, 'auto') : 'auto'
  const repository = env['GITHUB_REPOSITORY'] || undefined
  const runUrl =
    repository && env['GITHUB_RUN_ID']
      ? `${env['GITHUB_SERVER_URL'] || 'https://github.com'}/${repository}/actions/runs/${env['GITHUB_RUN_ID']}`
      : undefined

  const s3Sse = server ? oneOf(input, 's3-sse', ['AES256', 'aws:kms'] as const, undefined) : undefined
  const s3KmsKeyId = server ? input('s3-kms-key-id') || undefined : undefined
  if (s3KmsKeyId && s3Sse !== 'aws:kms') {
    throw new ActionError('is set but s3-sse is not aws:kms.', {
      input: 's3-kms-key-id',
      fix: 'add `s3-sse: aws:kms`, or remove s3-kms-key-id.'
    })
  }
  if (input('github-environment') && !input('github-token')) {
    throw new ActionError('is empty, but github-environment needs a token to record the GitHub deployment.', {
      input: 'github-token',
      fix: 'leave github-token at its default (the workflow token) and give the job `permissions: deployments: write`.'
    })
  }

  return {
    applicationName,
    deploymentGroups,
    deploymentConfig: input('deployment-config') || undefined,
    appspec,
    s3Bucket,
    s3KeyPrefix: server ? readKeyPrefix(input) : '',
    // Nothing is packaged with upload: never (nor for ECS and Lambda), so no checked-out tree is needed.
    sourceDir: upload === 'never' || !server ? path.resolve(workspace, input('source-dir') || '.') : readSourceDir(input, workspace),
    exclude: server ? lines(input('exclude')) : [],
    bundleType: server ? oneOf(input, 'bundle-type', ['zip', 'tgz'] as const, 'zip') : 'zip',
    sha,
    redeploy: Boolean(input('sha')) && sha !== (env['GITHUB_SHA'] ?? '').toLowerCase(),
    upload,
    description: readDescription(input, repository, sha, runUrl),
    fileExistsBehavior: server ? oneOf(input, 'file-exists-behavior', ['DISALLOW', 'OVERWRITE', 'RETAIN'] as const, undefined) : undefined,
    ignoreApplicationStopFailures: server && bool(input, 'ignore-application-stop-failures', false),
    wait: bool(input, 'wait', true),
    timeoutMinutes: readTimeout(input),
    stopOnCancel: bool(input, 'stop-on-cancel', true),
    region: readRegion(input, env),
    s3Sse,
    s3KmsKeyId,
    expectedBucketOwner: server ? readBucketOwner(input) : undefined,
    githubEnvironment: input('github-environment') || undefined,
    githubToken: input('github-token') || undefined,
    repository,
    runUrl
  }
}

function readGroups(input: InputReader): string[] {
  const what = 'the deployment group, e.g. `deployment-group: production`'
  const groups = lines(required(input, 'deployment-group', what))
  if (groups.length === 0)
    throw new ActionError('has no group name, only comments.', { input: 'deployment-group', fix: `set it to ${what}.` })
  const seen = new Set<string>()
  for (const group of groups) {
    if (seen.has(group)) {
      throw new ActionError(`names '${group}' twice.`, { input: 'deployment-group', fix: 'list each group once.' })
    }
    seen.add(group)
  }
  return groups
}

function readTimeout(input: InputReader): number {
  const value = input('timeout-minutes')
  if (!value) return 60
  const minutes = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value) || !(minutes > 0) || minutes > MAX_TIMEOUT_MINUTES) {
    throw new ActionError(`'${value}' is not a number of minutes between 0 and ${MAX_TIMEOUT_MINUTES}.`, {
      input: 'timeout-minutes',
      fix: 'use a positive number of minutes, e.g. `timeout-minutes: 30`.'
    })
  }
  return minutes
}

function readSourceDir(input: InputReader, workspace: string): string {
  const given = input('source-dir') || '.'
  const absolute = path.resolve(workspace, given)
  let stat: fs.Stats
  try {
    stat = fs.statSync(absolute)
  } catch {
    throw new ActionError(`'${given}' does not exist (looked for ${absolute}).`, {
      input: 'source-dir',
      fix: 'check the path, and that actions/checkout ran before this step.'
    })
  }
  if (!stat.isDirectory()) {
    throw new ActionError(`'${given}' is a file, not a directory.`, {
      input: 'source-dir',
      fix: 'name the directory whose root holds appspec.yml.'
    })
  }
  const real = fs.realpathSync(absolute)
  const realWorkspace = fs.realpathSync(workspace)
  if (real !== realWorkspace && !real.startsWith(realWorkspace + path.sep)) {
    throw new ActionError(`'${given}' is outside the workspace (${realWorkspace}).`, {
      input: 'source-dir',
      fix: 'use a directory inside the checked-out repository.'
    })
  }
  return real
}

function readSha(input: InputReader, env: NodeJS.ProcessEnv): string {
  const given = input('sha')
  const sha = given || env['GITHUB_SHA'] || ''
  if (!sha) {
    throw new ActionError('is empty and GITHUB_SHA is not set.', { input: 'sha', fix: 'pass the full 40-character commit SHA.' })
  }
  if (!/^[0-9a-f]{40}$/i.test(sha)) {
    throw new ActionError(`'${sha}' is not a full commit SHA.`, {
      input: 'sha',
      fix: 'pass the full 40-character hexadecimal SHA, e.g. from `git rev-parse HEAD`.'
    })
  }
  return sha.toLowerCase()
}

function readDescription(input: InputReader, repository: string | undefined, sha: string, runUrl: string | undefined): string {
  const text =
    input('description') || [repository ? `${repository}@${sha.slice(0, 7)}` : sha.slice(0, 12), runUrl].filter(Boolean).join(' ')
  if (text.length <= DESCRIPTION_LIMIT) return text
  // Cut whole code points: half an emoji would be an invalid string for the service.
  let cut = text.slice(0, DESCRIPTION_LIMIT - 1)
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1)
  return `${cut}…`
}

function readRegion(input: InputReader, env: NodeJS.ProcessEnv): string {
  const region = input('aws-region') || env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || ''
  if (!region) {
    throw new ActionError('is not set, and neither is AWS_REGION nor AWS_DEFAULT_REGION.', {
      input: 'aws-region',
      fix: 'set `aws-region` here or in aws-actions/configure-aws-credentials, e.g. `aws-region: eu-west-1`.'
    })
  }
  // Any partition's form: us-gov-west-1, cn-north-1, us-isob-east-1, eusc-de-east-1; an AZ (us-east-1a) is not a region.
  if (!/^[a-z]{2,}(-[a-z0-9]+)+-\d+$/.test(region) || region.length > 63) {
    throw new ActionError(`'${region}' is not an AWS region name.`, { input: 'aws-region', fix: 'use a region code such as us-east-1.' })
  }
  return region
}
