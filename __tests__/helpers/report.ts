import type { DeploymentResult, FailedEvent, InstanceState } from '../../src/watch/deployment-result.js'
import type { Settings } from '../../src/inputs/settings.js'
import type { GroupOutcome, RunReport } from '../../src/report/run-report.js'
import type { UploadedRevision } from '../../src/upload/location.js'

export const SHA = '0123456789abcdef0123456789abcdef01234567'
export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0)

export function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    applicationName: 'shop',
    deploymentGroups: ['production'],
    deploymentConfig: undefined,
    appspec: undefined,
    s3Bucket: 'bundles',
    s3KeyPrefix: 'shop/',
    sourceDir: '/work/repo',
    exclude: [],
    bundleType: 'zip',
    sha: SHA,
    redeploy: false,
    upload: 'auto',
    description: 'octo/shop@0123456',
    fileExistsBehavior: undefined,
    ignoreApplicationStopFailures: false,
    wait: true,
    timeoutMinutes: 60,
    stopOnCancel: true,
    region: 'eu-west-1',
    s3Sse: undefined,
    s3KmsKeyId: undefined,
    expectedBucketOwner: undefined,
    githubEnvironment: undefined,
    githubToken: undefined,
    repository: 'octo/shop',
    runUrl: 'https://github.com/octo/shop/actions/runs/42',
    prebuiltBundle: undefined,
    s3Key: undefined,
    updateOutdatedInstancesOnly: false,
    autoRollback: 'group',
    alarms: 'group',
    githubEnvironmentProduction: false,
    githubEnvironmentUrl: undefined,
    command: 'deploy',
    deploymentId: undefined,
    autoRollbackOnStop: true,
    waitForTermination: false,
    ...overrides
  }
}

export function revision(overrides: Partial<UploadedRevision> = {}): UploadedRevision {
  return {
    bucket: 'bundles',
    key: `shop/${SHA}.zip`,
    bundleType: 'zip',
    eTag: '9b2cf535f27731c974343645a3985328',
    version: 'v1',
    sha256: 'a'.repeat(64),
    size: 12345,
    uploaded: true,
    ...overrides
  }
}

const at = (s: number): Date => new Date(T0 + s * 1000)

/** An instance whose events all ran 2 s each, in order; `failAt` fails one and skips the rest. */
export function instance(id: string, failAt?: { event: string; diagnostics: Omit<FailedEvent, 'instanceId' | 'event'> }): InstanceState {
  const names = ['ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService']
  let failed = false
  const events = names.map((name, i) => {
    if (failed) return { name, status: 'Skipped', startTime: undefined, endTime: undefined, diagnostics: undefined }
    if (name === failAt?.event) {
      failed = true
      return { name, status: 'Failed', startTime: at(i * 2), endTime: at(i * 2 + 2), diagnostics: failAt.diagnostics }
    }
    return { name, status: 'Succeeded', startTime: at(i * 2), endTime: at(i * 2 + 2), diagnostics: undefined }
  })
  return { id, status: failed ? 'Failed' : 'Succeeded', events }
}

export function result(overrides: Partial<DeploymentResult> = {}): DeploymentResult {
  return {
    deploymentId: 'd-SUCCESS01',
    group: 'production',
    computePlatform: 'Server',
    status: 'Succeeded',
    final: true,
    timedOut: false,
    cancelled: false,
    errorCode: undefined,
    errorMessage: undefined,
    overview: { Pending: 0, InProgress: 0, Succeeded: 2, Failed: 0, Skipped: 0, Ready: 0 },
    instances: [instance('i-0aaa'), instance('i-0bbb')],
    failures: [],
    rollbackDeploymentId: undefined,
    rollbackMessage: undefined,
    rollback: undefined,
    deploymentConfigName: 'CodeDeployDefault.OneAtATime',
    createTime: at(0),
    completeTime: at(83),
    lostContact: undefined,
    ...overrides
  }
}

export function group(r: DeploymentResult | undefined, overrides: Partial<GroupOutcome> = {}): GroupOutcome {
  const id = r?.deploymentId ?? 'd-CREATED01'
  return {
    group: r?.group ?? 'production',
    deploymentId: id,
    url: `https://eu-west-1.console.aws.amazon.com/codesuite/codedeploy/deployments/${id}?region=eu-west-1`,
    result: r,
    stopRequested: false,
    ...overrides
  }
}

export function runReport(overrides: Partial<RunReport> = {}): RunReport {
  return {
    settings: settings(),
    bundle: undefined,
    revision: revision(),
    groups: [group(result())],
    error: undefined,
    cancelled: false,
    startedAt: T0 - 20_000,
    endedAt: T0 + 90_000,
    ...overrides
  }
}
