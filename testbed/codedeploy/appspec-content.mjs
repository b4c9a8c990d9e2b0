// @ts-check
// The AppSpec of an ECS or Lambda deployment: sent as content (revisionType AppSpecContent, or
// the deprecated String) or stored in S3 as YAML / JSON. CreateDeployment checks the content's
// sha256; the shape is checked when the deployment starts, and a bad one fails the deployment
// (INVALID_REVISION) the way the service reports it, not the API call.
import crypto from 'node:crypto'
import { load } from 'js-yaml'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { fail } from './errors.mjs'

export const ECS_EVENTS = /** @type {const} */ ([
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'AllowTestTraffic',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic'
])
export const LAMBDA_EVENTS = /** @type {const} */ (['BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic'])
/** @type {Record<string, readonly string[]>} the events an AppSpec may hook, per compute platform */
export const HOOK_EVENTS = {
  ECS: ['BeforeInstall', 'AfterInstall', 'AfterAllowTestTraffic', 'BeforeAllowTraffic', 'AfterAllowTraffic'],
  Lambda: ['BeforeAllowTraffic', 'AfterAllowTraffic']
}
export const INVALID_APPSPEC_PREFIX =
  'The deployment failed because the AppSpec file that specifies the deployment configuration is missing or has an invalid configuration.'

/**
 * @typedef {{ taskDefinition: string, containerName: string, containerPort: number }} EcsResource
 * @typedef {{ resourceName: string, name: string, alias: string, currentVersion: string, targetVersion: string }} LambdaResource
 * @typedef {{ ecs?: EcsResource, lambda?: LambdaResource, hooks: Record<string, string> }} ParsedAppSpec
 * @typedef {{ text: string } | { error: import('./state.mjs').ErrorInformation }} Loaded
 */

/** @param {string} text */
export const sha256 = text => crypto.createHash('sha256').update(text, 'utf8').digest('hex')

/** The `{ content, sha256 }` of an AppSpecContent or String revision. @param {any} revision */
export function contentOf(revision) {
  return revision?.revisionType === 'AppSpecContent'
    ? revision.appSpecContent
    : revision?.revisionType === 'String'
      ? revision.string
      : undefined
}

/** CreateDeployment: the content is there and matches its sha256 (when one is given). @param {any} revision */
export function checkContentRevision(revision) {
  const member = revision.revisionType === 'AppSpecContent' ? 'appSpecContent' : 'string'
  const c = contentOf(revision)
  if (!c || typeof c !== 'object' || typeof c.content !== 'string' || c.content.trim() === '') {
    fail('InvalidRevisionException', `The ${revision.revisionType} revision is missing its ${member}.content.`)
  }
  if (c.sha256 === undefined || c.sha256 === null) return
  if (typeof c.sha256 !== 'string' || c.sha256.toLowerCase() !== sha256(c.content)) {
    fail(
      'InvalidRevisionException',
      `The sha256 value of the revision (${String(c.sha256)}) does not match the SHA-256 hash of its content.`
    )
  }
}

/**
 * The AppSpec text of a revision: the content itself, or the YAML / JSON object in S3 (fetched with
 * the revision's eTag and version, like a bundle; failing that, the deployment fails REVISION_MISSING).
 * @param {any} revision @param {import('@aws-sdk/client-s3').S3Client} s3 @returns {Promise<Loaded>}
 */
export async function loadAppSpec(revision, s3) {
  const content = contentOf(revision)
  if (content) return { text: String(content.content) }
  const loc = revision?.s3Location ?? {}
  try {
    const res = await s3.send(
      new GetObjectCommand({
        Bucket: loc.bucket,
        Key: loc.key,
        ...(loc.eTag ? { IfMatch: loc.eTag } : {}),
        ...(loc.version ? { VersionId: loc.version } : {})
      })
    )
    return { text: (await res.Body?.transformToString('utf8')) ?? '' }
  } catch (err) {
    const e = /** @type {any} */ (err)
    return { error: { code: 'REVISION_MISSING', message: e?.message || e?.name || String(err) } }
  }
}

/** Member lookup ignoring case: the service's own examples use both `Resources` and `resources`. @param {unknown} obj @param {string} key @returns {any} */
function get(obj, key) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined
  const lower = key.toLowerCase()
  const found = Object.keys(obj).find(k => k.toLowerCase() === lower)
  return found === undefined ? undefined : /** @type {any} */ (obj)[found]
}

/** @param {unknown} v */
const isMap = v => Boolean(v) && typeof v === 'object' && !Array.isArray(v)
/** @param {unknown} v */
const nonEmpty = v => typeof v === 'string' && v.trim() !== ''
/** @param {unknown} v @returns {string | null} a positive integer as a string, or null */
const positiveInt = v =>
  (typeof v === 'number' && Number.isInteger(v) && v > 0) || (typeof v === 'string' && /^[1-9]\d*$/.test(v)) ? String(v) : null

class AppSpecError extends Error {}
/** @param {string} message @returns {never} */
function invalid(message) {
  throw new AppSpecError(message)
}

/**
 * @param {string} text YAML or JSON
 * @param {string} platform 'ECS' | 'Lambda'
 * @returns {{ ok: true, appspec: ParsedAppSpec } | { ok: false, message: string }}
 */
export function parseAppSpec(text, platform) {
  let doc
  try {
    doc = JSON.parse(text)
  } catch {
    try {
      doc = load(text)
    } catch {
      return {
        ok: false,
        message: `${INVALID_APPSPEC_PREFIX} The input AppSpec file is a not well-formed yaml. The template cannot be parsed.`
      }
    }
  }
  try {
    return { ok: true, appspec: check(doc, platform) }
  } catch (err) {
    if (err instanceof AppSpecError) return { ok: false, message: `${INVALID_APPSPEC_PREFIX} ${err.message}` }
    throw err
  }
}

/** @param {unknown} doc @param {string} platform @returns {ParsedAppSpec} */
function check(doc, platform) {
  if (!isMap(doc)) invalid('The AppSpec file must be a YAML or JSON mapping.')
  const version = get(doc, 'version')
  if (!(version === 0 || version === '0.0'))
    invalid(`The version value (${version ?? 'missing'}) is not supported: the AppSpec file must specify version 0.0.`)
  const resources = get(doc, 'Resources')
  if (!Array.isArray(resources) || resources.length === 0)
    invalid('The AppSpec file must list the resource to deploy in its Resources section.')
  if (resources.length > 1) invalid(`The Resources section lists ${resources.length} resources; a deployment supports exactly one.`)
  const resource = resources[0]
  if (!isMap(resource) || Object.keys(resource).length !== 1)
    invalid('Each entry of the Resources section must be a mapping with a single resource name.')
  const hooks = checkHooks(get(doc, 'Hooks'), platform)
  return platform === 'ECS' ? { ecs: checkEcs(resource), hooks } : { lambda: checkLambda(resource), hooks }
}

/** @param {any} resource @returns {EcsResource} */
function checkEcs(resource) {
  const service = get(resource, 'TargetService')
  if (!isMap(service)) invalid('The Resources section of an Amazon ECS deployment must contain a TargetService.')
  if (get(service, 'Type') !== 'AWS::ECS::Service')
    invalid(`TargetService has Type ${get(service, 'Type') ?? '(none)'}; it must be AWS::ECS::Service.`)
  const props = get(service, 'Properties')
  if (!isMap(props)) invalid('TargetService is missing its Properties.')
  const taskDefinition = get(props, 'TaskDefinition')
  if (!nonEmpty(taskDefinition)) invalid('TargetService.Properties is missing the required property TaskDefinition.')
  const lb = get(props, 'LoadBalancerInfo')
  if (!isMap(lb)) invalid('TargetService.Properties is missing the required property LoadBalancerInfo.')
  const containerName = get(lb, 'ContainerName')
  if (!nonEmpty(containerName)) invalid('LoadBalancerInfo is missing the required property ContainerName.')
  const port = positiveInt(get(lb, 'ContainerPort'))
  if (port === null || Number(port) > 65535)
    invalid(`LoadBalancerInfo.ContainerPort (${get(lb, 'ContainerPort') ?? 'missing'}) must be a port number from 1 to 65535.`)
  return { taskDefinition, containerName, containerPort: Number(port) }
}

/** @param {any} resource @returns {LambdaResource} */
function checkLambda(resource) {
  const [resourceName, fn] = /** @type {[string, any]} */ (Object.entries(resource)[0])
  if (!isMap(fn)) invalid(`Resource ${resourceName} must be a mapping with Type and Properties.`)
  if (get(fn, 'Type') !== 'AWS::Lambda::Function')
    invalid(`Resource ${resourceName} has Type ${get(fn, 'Type') ?? '(none)'}; it must be AWS::Lambda::Function.`)
  const props = get(fn, 'Properties')
  if (!isMap(props)) invalid(`Resource ${resourceName} is missing its Properties.`)
  for (const key of ['Name', 'Alias']) {
    if (!nonEmpty(get(props, key))) invalid(`Resource ${resourceName} is missing the required property ${key}.`)
  }
  /** @type {Record<string, string>} */
  const versions = {}
  for (const key of ['CurrentVersion', 'TargetVersion']) {
    const v = positiveInt(get(props, key))
    if (v === null)
      invalid(
        `The ${key} of resource ${resourceName} (${get(props, key) ?? 'missing'}) must be a positive integer (a published Lambda function version).`
      )
    versions[key] = v
  }
  return {
    resourceName,
    name: get(props, 'Name'),
    alias: get(props, 'Alias'),
    currentVersion: String(versions['CurrentVersion']),
    targetVersion: String(versions['TargetVersion'])
  }
}

/** @param {unknown} hooks @param {string} platform @returns {Record<string, string>} event -> Lambda function */
function checkHooks(hooks, platform) {
  /** @type {Record<string, string>} */
  const out = {}
  if (hooks === undefined || hooks === null) return out
  const allowed = HOOK_EVENTS[platform] ?? []
  if (!Array.isArray(hooks)) invalid('The Hooks section must be a list of mappings from a lifecycle event to a Lambda function name.')
  for (const entry of hooks) {
    if (!isMap(entry)) invalid('The Hooks section must be a list of mappings from a lifecycle event to a Lambda function name.')
    for (const [event, fn] of Object.entries(entry)) {
      if (!allowed.includes(event))
        invalid(`${event} is not a lifecycle event hook of an ${platform} deployment; use ${allowed.join(', ')}.`)
      if (!nonEmpty(fn)) invalid(`The ${event} hook must name a Lambda function.`)
      if (out[event] !== undefined) invalid(`The ${event} hook is specified more than once.`)
      out[event] = fn
    }
  }
  return out
}
