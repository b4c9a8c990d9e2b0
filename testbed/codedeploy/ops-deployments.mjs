// @ts-check
// Operations on deployments, every compute platform: CreateDeployment, GetDeployment,
// BatchGetDeployments, ListDeployments, StopDeployment. The runner starts, stops and rolls back.
import { fail } from './errors.mjs'
import { isFinal } from './state.mjs'
import { deploymentInfo } from './shapes.mjs'
import { pageOf } from './paging.mjs'
import { checkContentRevision } from './appspec-content.mjs'
import { recordDeployedRevision } from './ops-revisions.mjs'

/**
 * @typedef {import('./state.mjs').Store} Store
 * @typedef {import('./bluegreen.mjs').BlueGreenRunner} Runner
 */

const SERVER_BUNDLE_TYPES = ['tar', 'tgz', 'zip']
const FILE_EXISTS = ['DISALLOW', 'OVERWRITE', 'RETAIN']
const MAX_DESCRIPTION = 512
const ROLLBACK_EVENTS = ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST']
const MAX_ALARMS = 10

/** CreateDeployment's autoRollbackConfiguration, checked as the service checks it. @param {any} cfg */
function checkAutoRollback(cfg) {
  if (cfg === undefined) return
  const invalid = () =>
    fail(
      'InvalidAutoRollbackConfigException',
      'The automatic rollback configuration was specified in an invalid format. For example, automatic rollback is enabled but an invalid triggering event type or no event types were listed.'
    )
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) invalid()
  if (cfg.enabled !== undefined && typeof cfg.enabled !== 'boolean') invalid()
  if (
    cfg.events !== undefined &&
    (!Array.isArray(cfg.events) || cfg.events.some((/** @type {unknown} */ e) => !ROLLBACK_EVENTS.includes(String(e))))
  )
    invalid()
  if (cfg.enabled === true && !(cfg.events?.length > 0)) invalid()
}

/** CreateDeployment's overrideAlarmConfiguration: the deployment group's rules for an alarm configuration. @param {any} cfg */
function checkAlarmOverride(cfg) {
  if (cfg === undefined) return
  const invalid = (/** @type {string} */ why) =>
    fail('InvalidAlarmConfigException', `The format of the alarm configuration is invalid: ${why}.`)
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) invalid('not an object')
  if (cfg.enabled !== undefined && typeof cfg.enabled !== 'boolean') invalid('enabled is not a boolean')
  if (cfg.ignorePollAlarmFailure !== undefined && typeof cfg.ignorePollAlarmFailure !== 'boolean')
    invalid('ignorePollAlarmFailure is not a boolean')
  const alarms = cfg.alarms ?? []
  if (!Array.isArray(alarms)) invalid('the alarm list is not a list')
  if (alarms.length > MAX_ALARMS)
    fail('AlarmsLimitExceededException', `The maximum number of alarms for a deployment group (${MAX_ALARMS}) was exceeded.`)
  const names = alarms.map((/** @type {any} */ a) => a?.name)
  if (names.some((/** @type {unknown} */ n) => typeof n !== 'string' || n === '' || n.length > 255))
    invalid('an alarm name is empty or longer than 255 characters')
  if (new Set(names).size !== names.length) invalid('two alarms have the same name')
  if (cfg.enabled === true && alarms.length === 0) invalid('the alarm configuration is enabled, but the alarm list is empty')
}

/** @param {any} revision @param {string} platform */
function checkRevision(revision, platform) {
  if (!revision || typeof revision !== 'object') fail('RevisionRequiredException', 'The revision ID was not specified.')
  const type = revision.revisionType
  if (type === 'S3') {
    const s3 = revision.s3Location
    if (!s3 || typeof s3 !== 'object') fail('InvalidRevisionException', 'The revision is missing its s3Location.')
    if (!s3.bucket) fail('InvalidRevisionException', 'The S3 revision is missing the bucket name.')
    if (!s3.key) fail('InvalidRevisionException', 'The S3 revision is missing the object key.')
    const allowed = platform === 'Server' ? SERVER_BUNDLE_TYPES : ['YAML', 'JSON']
    if (!allowed.includes(s3.bundleType)) {
      fail(
        'InvalidRevisionException',
        `Bundle type ${s3.bundleType ?? '(none)'} is not valid for a ${platform} deployment; use one of ${allowed.join(', ')}.`
      )
    }
    return
  }
  if (type === 'AppSpecContent' || type === 'String') {
    if (platform === 'Server') fail('InvalidRevisionException', `Revision type ${type} is only valid for Lambda and ECS deployments.`)
    checkContentRevision(revision)
    return
  }
  if (type === 'GitHub') fail('InvalidRevisionException', 'GitHub revisions are not supported by the testbed.')
  fail('InvalidRevisionException', `The revision type ${type ?? '(none)'} is not valid.`)
}

/**
 * The handlers of the deployment operations. Only CreateDeployment's revision checks depend on the
 * compute platform (S3 bundle types; AppSpec content for ECS and Lambda only).
 * @param {{ store: Store, runner: Runner }} ctx
 */
export function deploymentOps({ store, runner }) {
  return {
    /** @param {any} input */
    CreateDeployment(input) {
      const app = store.app(input.applicationName)
      const group = store.group(input.applicationName, input.deploymentGroupName)
      const configName = input.deploymentConfigName ?? group.deploymentConfigName
      const config = store.config(configName)
      if (config.computePlatform !== app.computePlatform) {
        fail(
          'InvalidDeploymentConfigNameException',
          `The deployment configuration ${configName} is for the ${config.computePlatform} compute platform; application ${app.applicationName} uses ${app.computePlatform}.`
        )
      }
      checkRevision(input.revision, app.computePlatform)
      if (input.fileExistsBehavior !== undefined && !FILE_EXISTS.includes(input.fileExistsBehavior)) {
        fail(
          'InvalidFileExistsBehaviorException',
          `The fileExistsBehavior value ${input.fileExistsBehavior} is not valid; use DISALLOW, OVERWRITE or RETAIN.`
        )
      }
      if (input.ignoreApplicationStopFailures !== undefined && typeof input.ignoreApplicationStopFailures !== 'boolean') {
        fail('InvalidIgnoreApplicationStopFailuresValueException', 'The IgnoreApplicationStopFailures value is invalid.')
      }
      checkAutoRollback(input.autoRollbackConfiguration)
      checkAlarmOverride(input.overrideAlarmConfiguration)
      if (input.updateOutdatedInstancesOnly !== undefined) {
        const valid =
          typeof input.updateOutdatedInstancesOnly === 'boolean' && (app.computePlatform === 'Server' || !input.updateOutdatedInstancesOnly)
        if (!valid) {
          fail(
            'InvalidUpdateOutdatedInstancesOnlyValueException',
            'The UpdateOutdatedInstancesOnly value is invalid. For AWS Lambda deployments, false is expected. For EC2/On-premises deployments, true or false is expected.'
          )
        }
      }
      if (typeof input.description === 'string' && input.description.length > MAX_DESCRIPTION) {
        fail(
          'DescriptionTooLongException',
          `The description is too long: ${input.description.length} characters, at most ${MAX_DESCRIPTION} allowed.`
        )
      }
      if (group.activeDeploymentId) {
        fail(
          'DeploymentLimitExceededException',
          `The Deployment Group '${group.deploymentGroupName}' already has an active Deployment '${group.activeDeploymentId}'`
        )
      }
      const dep = runner.launch(group, {
        revision: input.revision,
        deploymentConfigName: configName,
        description: input.description,
        creator: 'user',
        fileExistsBehavior: input.fileExistsBehavior,
        ignoreApplicationStopFailures: input.ignoreApplicationStopFailures,
        autoRollbackConfiguration: input.autoRollbackConfiguration
      })
      recordDeployedRevision(store, app.applicationName, group.deploymentGroupName, input.revision)
      return { deploymentId: dep.deploymentId }
    },

    /** @param {any} input */
    GetDeployment(input) {
      return { deploymentInfo: deploymentInfo(store.deployment(input.deploymentId)) }
    },

    /** @param {any} input */
    BatchGetDeployments(input) {
      const ids = input.deploymentIds
      if (!Array.isArray(ids) || ids.length === 0) fail('DeploymentIdRequiredException', 'At least one deployment ID must be specified.')
      if (ids.length > 25)
        fail('BatchLimitExceededException', 'The maximum number of names or IDs allowed for this request (25) was exceeded.')
      const found = ids.map(id => store.deployments.get(id)).filter(d => d !== undefined)
      return { deploymentsInfo: found.map(deploymentInfo) }
    },

    /** @param {any} input */
    ListDeployments(input) {
      if (input.deploymentGroupName !== undefined) store.group(input.applicationName, input.deploymentGroupName)
      else if (input.applicationName !== undefined) store.app(input.applicationName)
      const statuses =
        Array.isArray(input.includeOnlyStatuses) && input.includeOnlyStatuses.length ? new Set(input.includeOnlyStatuses) : null
      const all = [...store.deployments.values()].reverse() // newest first
      const { items, nextToken } = pageOf(
        all,
        input.nextToken,
        d =>
          (input.applicationName === undefined || d.applicationName === input.applicationName) &&
          (input.deploymentGroupName === undefined || d.deploymentGroupName === input.deploymentGroupName) &&
          (!statuses || statuses.has(d.status)),
        100
      )
      return { deployments: items.map(d => d.deploymentId), ...(nextToken ? { nextToken } : {}) }
    },

    /** @param {any} input */
    ContinueDeployment(input) {
      const dep = store.deployment(input.deploymentId)
      const waitType = input.deploymentWaitType ?? 'READY_WAIT'
      if (waitType !== 'READY_WAIT' && waitType !== 'TERMINATION_WAIT')
        fail('InvalidDeploymentWaitTypeException', `The wait type ${waitType} is invalid.`)
      if (isFinal(dep)) fail('DeploymentAlreadyCompletedException', `The deployment ${dep.deploymentId} has already completed.`)
      if (!dep.blueGreen && dep.computePlatform === 'Server')
        fail('UnsupportedActionForDeploymentTypeException', 'A call was submitted that is not supported for the specified deployment type.')
      runner.continueDeployment(dep, waitType)
      return {}
    },

    /** @param {any} input */
    StopDeployment(input) {
      const dep = store.deployment(input.deploymentId)
      if (isFinal(dep)) fail('DeploymentAlreadyCompletedException', `The deployment ${dep.deploymentId} has already completed.`)
      runner.stop(dep, typeof input.autoRollbackEnabled === 'boolean' ? input.autoRollbackEnabled : undefined)
      return { status: 'Pending', statusMessage: `Stop request for deployment ${dep.deploymentId} is pending.` }
    }
  }
}
