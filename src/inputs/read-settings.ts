import * as fs from 'node:fs'
import * as path from 'node:path'
import { ActionError } from '../core/errors.js'
import { readAppSpecInput } from './appspec.js'
import { readBundleSource } from './bundle-source.js'
import { readDeploymentOptions } from './deployment-options.js'
import { readGithubEnvironment } from './github-environment.js'
import { actsOnDeployment, readCommand, readCommandInputs } from './command.js'
import { bool, lines, oneOf, required, type InputReader } from './reader.js'
import { readBucket, readBucketOwner, readKeyPrefix } from './s3.js'
import type { Settings } from './settings.js'

/**
 * CreateDeployment answers a longer description with DescriptionTooLongException. The API model
 * documents no maximum; 512 is the limit users hit in production (codeship-library/aws-utilities#92)
 * and the one aws-actions/amazon-ecs-deploy-task-definition cuts CodeDeploy descriptions to.
 */
export const DESCRIPTION_LIMIT = 512
const MAX_TIMEOUT_MINUTES = 360 // a GitHub-hosted job cannot run longer

export function readSettings(input: InputReader, env: NodeJS.ProcessEnv): Settings {
  const workspace = path.resolve(env['GITHUB_WORKSPACE'] || process.cwd())
  // The command decides which inputs are required: watch, continue and stop need only a deployment id.
  const command = readCommand(input)
  const existing = actsOnDeployment(command)
  // Required inputs first: a workflow missing one hears about that before anything else.
  const applicationName = existing
    ? input('application-name')
    : required(input, 'application-name', 'the CodeDeploy application, e.g. `application-name: my-app`')
  // register needs no group (RegisterApplicationRevision is per application); given ones are checked.
  const deploymentGroups =
    existing || (command === 'register' && !input('deployment-group')) ? lines(input('deployment-group')) : readGroups(input)
  const commandInputs = readCommandInputs(input, command)
  const appspec = existing ? undefined : readAppSpecInput(input, workspace)
  if (appspec && command === 'register') {
    throw new ActionError('is set, but command register registers a bundle in S3 (EC2/on-premises).', {
      input: 'command',
      fix: 'register EC2/on-premises bundles only; an ECS or Lambda AppSpec is sent as content by `command: deploy`.'
    })
  }
  // ECS and Lambda send the AppSpec as content, and commands on an existing deployment touch no
  // bundle: nothing is packaged or uploaded then.
  const server = appspec === undefined && !existing
  const s3Bucket = server ? readBucket(input) : ''
  // The workflow's commit says nothing about a deployment started elsewhere: its own revision will.
  const sha = existing && !input('sha') ? '' : readSha(input, env)
  const upload = server ? oneOf(input, 'upload', ['auto', 'always', 'never'] as const, 'auto') : 'auto'
  const source = server
    ? readBundleSource(input, [workspace, env['RUNNER_TEMP'] ?? ''].filter(Boolean), upload)
    : { bundleType: 'zip' as const, prebuiltBundle: undefined, s3Key: undefined }
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
  const github = readGithubEnvironment(input)
  if (github.githubEnvironment && !input('github-token')) {
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
    // Nothing is packaged with upload: never or a prebuilt bundle (nor for ECS and Lambda), so no checked-out tree is needed.
    sourceDir:
      upload === 'never' || source.prebuiltBundle || !server
        ? path.resolve(workspace, input('source-dir') || '.')
        : readSourceDir(input, workspace),
    exclude: server ? lines(input('exclude')) : [],
    bundleType: source.bundleType,
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
    githubEnvironment: github.githubEnvironment,
    githubToken: input('github-token') || undefined,
    repository,
    runUrl,
    sourceDateEpoch: readSourceDateEpoch(env),
    eventPath: env['GITHUB_EVENT_PATH'] || undefined,
    prebuiltBundle: source.prebuiltBundle,
    s3Key: source.s3Key,
    ...readDeploymentOptions(input, server),
    githubEnvironmentProduction: github.githubEnvironmentProduction,
    githubEnvironmentUrl: github.githubEnvironmentUrl,
    ...commandInputs
  }
}

/** reproducible-builds.org: a set but malformed SOURCE_DATE_EPOCH is an error, not something to ignore. */
function readSourceDateEpoch(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env['SOURCE_DATE_EPOCH']?.trim()
  if (!raw) return undefined
  if (!/^\d{1,11}$/.test(raw)) {
    throw new ActionError(`The SOURCE_DATE_EPOCH environment variable is '${raw}', not a number of seconds since 1970-01-01 UTC.`, {
      fix: 'set it to a Unix time in whole seconds, e.g. the output of `git log -1 --format=%ct`, or unset it.'
    })
  }
  return Number(raw)
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
  const given = input('description')
  if (given) return cut(given, DESCRIPTION_LIMIT)
  const head = repository ? `${repository}@${sha.slice(0, 7)}` : sha.slice(0, 12)
  if (!runUrl) return cut(head, DESCRIPTION_LIMIT)
  // The run link is what a reader follows: it stays whole, the rest gives way (a link too long to fit at all is left out).
  if (runUrl.length > DESCRIPTION_LIMIT - 8) return cut(head, DESCRIPTION_LIMIT)
  return `${cut(head, DESCRIPTION_LIMIT - runUrl.length - 1)} ${runUrl}`
}

/** At most `limit` UTF-16 units, an ellipsis marking a cut; whole code points (half an emoji is an invalid string for the service). */
function cut(text: string, limit: number): string {
  if (text.length <= limit) return text
  let kept = text.slice(0, limit - 1)
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1)
  return `${kept}…`
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
