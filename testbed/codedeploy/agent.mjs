// @ts-check
// What the CodeDeploy agent would do on each instance: fetch the revision from S3 (by its
// version, then check its eTag, failing with the agent's own message when the object was
// replaced), unpack it, read appspec.yml, install its files (mtimes kept, see install.mjs) and run
// (here: look up) the hook scripts of each lifecycle event. Failures carry the agent's diagnostics.
// Unpacking and installing happen once per deployment, into <tmpDir>/<deploymentId>/
// (deployment-archive/ and instance/).
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { load } from 'js-yaml'
import { readArchive, normalizeEntry } from './archive.mjs'
import { install, unpack } from './install.mjs'

/**
 * @typedef {import('./state.mjs').DeploymentRecord} DeploymentRecord
 * @typedef {import('./state.mjs').InstanceRecord} InstanceRecord
 * @typedef {import('./state.mjs').Diagnostics} Diagnostics
 * @typedef {import('./faults.mjs').HookRule} HookRule
 * @typedef {{ location: string, timeout?: number, runas?: string }} HookScript
 * @typedef {{ ok: false, message: string } | { ok: true, files: Set<string>, appspec?: any, appspecError?: string, installError?: string }} Inspection
 * @typedef {{ slow: boolean, failure?: Diagnostics, diagnostics?: Diagnostics }} EventPlan
 */

export const SUCCESS_DIAGNOSTICS = Object.freeze({ errorCode: 'Success', scriptName: '', message: 'Succeeded', logTail: '' })
const APPSPEC = 'appspec.yml'

/** @param {string} archiveDir */
export function missingAppspecMessage(archiveDir) {
  return (
    `The CodeDeploy agent did not find an AppSpec file within the unpacked revision directory at revision-relative path "${APPSPEC}". ` +
    `The revision was unpacked to directory "${archiveDir}", and the AppSpec file was expected but not found at path "${archiveDir}/${APPSPEC}". ` +
    'Consult the AWS CodeDeploy Appspec documentation for more information at http://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html'
  )
}

export class Agent {
  /** @param {{ s3: import('@aws-sdk/client-s3').S3Client, tmpDir: string }} options */
  constructor({ s3, tmpDir }) {
    this.s3 = s3
    this.tmpDir = tmpDir
  }

  /** Where a deployment's revision is unpacked and installed. @param {string} deploymentId */
  deploymentDir(deploymentId) {
    return path.join(this.tmpDir, deploymentId)
  }

  /** Download, unpack and read the revision once per deployment. @param {DeploymentRecord} dep @returns {Promise<Inspection>} */
  async inspect(dep) {
    const loc = dep.revision?.s3Location ?? {}
    const file = path.join(this.tmpDir, `${dep.deploymentId}.bundle`)
    try {
      try {
        // As the agent does (command_executor.rb, download_from_s3): GetObject by version, then the
        // eTag the revision was pinned to is compared with the one the object has now.
        const res = await this.s3.send(
          new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, ...(loc.version ? { VersionId: loc.version } : {}) })
        )
        if (!res.Body) throw new Error('Empty response body from S3')
        await pipeline(/** @type {NodeJS.ReadableStream} */ (res.Body), fs.createWriteStream(file))
        if (loc.eTag && loc.eTag.replace(/"/g, '') !== String(res.ETag).replace(/"/g, ''))
          throw new Error(`Expected deployment artifact bundle etag ${loc.eTag} but was actually ${res.ETag}`)
      } catch (err) {
        const e = /** @type {any} */ (err)
        return { ok: false, message: e?.message || e?.name || String(err) }
      }
      let index
      try {
        index = await readArchive(file, loc.bundleType, [APPSPEC])
      } catch (err) {
        return {
          ok: false,
          message: `The revision could not be unpacked as a ${loc.bundleType} archive: ${/** @type {Error} */ (err).message}`
        }
      }
      const archive = path.join(this.deploymentDir(dep.deploymentId), 'deployment-archive')
      const unpackError = await unpack(file, loc.bundleType, archive)
      if (unpackError) return { ok: false, message: unpackError }
      const raw = index.contents.get(APPSPEC)
      if (!raw) return { ok: true, files: index.files, appspecError: missingAppspecMessage(dep.archiveDir) }
      const parsed = parseAppspec(raw.toString('utf8'))
      const installError = parsed.appspec
        ? await install(archive, parsed.appspec, path.join(this.deploymentDir(dep.deploymentId), 'instance'))
        : undefined
      return { ok: true, files: index.files, ...parsed, ...(installError ? { installError } : {}) }
    } finally {
      await fsp.rm(file, { force: true })
    }
  }
}

/** @param {string} text @returns {{ appspec?: any, appspecError?: string }} */
function parseAppspec(text) {
  let doc
  try {
    doc = load(text)
  } catch (err) {
    return {
      appspecError: `The deployment failed because the AppSpec file is not valid YAML: ${/** @type {Error} */ (err).message.split('\n')[0]}`
    }
  }
  if (!doc || typeof doc !== 'object')
    return { appspecError: 'The deployment failed because the AppSpec file is empty or is not a YAML mapping.' }
  const spec = /** @type {any} */ (doc)
  if (!(spec.version === 0 || spec.version === '0.0')) {
    return {
      appspecError: `The deployment failed because an invalid version value (${spec.version}) was entered in the application specification file. Make sure your AppSpec file specifies "0.0" as the version, and then try again.`
    }
  }
  if (spec.os !== 'linux' && spec.os !== 'windows') {
    return {
      appspecError: `The deployment failed because the application specification file specifies an unsupported operating system (${spec.os}). Specify an operating system of either "linux" or "windows" in the os section of the AppSpec file, and then try again.`
    }
  }
  return { appspec: spec }
}

/** @param {any} appspec @param {string} event @returns {HookScript[]} */
export function hookScripts(appspec, event) {
  const list = appspec?.hooks?.[event]
  if (!Array.isArray(list)) return []
  return list.filter(s => s && typeof s.location === 'string').map(s => ({ location: s.location, timeout: s.timeout, runas: s.runas }))
}

/** @param {HookRule} rule @param {string} event @param {HookScript | undefined} script @returns {Diagnostics} */
function ruleDiagnostics(rule, event, script) {
  const location = script?.location ?? ''
  const errorCode = rule.errorCode ?? 'ScriptFailed'
  const who = script?.runas ? `${location} run as user ${script.runas}` : location
  let message = rule.message
  if (message === undefined) {
    if (errorCode === 'ScriptTimedOut')
      message = `Script at specified location: ${location} failed to complete in ${script?.timeout ?? 3600} seconds`
    else if (errorCode === 'ScriptFailed') message = `Script at specified location: ${who} failed with exit code 1`
    else message = `${event} failed (testbed failHook, ${errorCode})`
  }
  const logTail = rule.logTail ?? `LifecycleEvent - ${event}\nScript - ${location}\n[stderr]simulated failure (testbed failHook)\n`
  return { errorCode, scriptName: location, message, logTail }
}

/**
 * Decide how one lifecycle event goes on one instance.
 * @param {DeploymentRecord} dep
 * @param {string} event
 * @param {HookRule | null} rule a failHook rule that applies to this event on this instance
 * @returns {EventPlan}
 */
export function planEvent(dep, event, rule) {
  const insp = /** @type {Inspection} */ (dep.inspection)
  if (event === 'DownloadBundle') {
    if (!insp.ok) return { slow: true, failure: { errorCode: 'UnknownError', scriptName: '', message: insp.message, logTail: '' } }
    return rule ? { slow: true, failure: ruleDiagnostics(rule, event, undefined) } : { slow: true }
  }
  if (event === 'Install') {
    if (insp.ok && !insp.appspecError && insp.installError)
      return { slow: true, failure: { errorCode: 'UnknownError', scriptName: '', message: insp.installError, logTail: '' } }
    return rule ? { slow: true, failure: ruleDiagnostics(rule, event, undefined) } : { slow: true }
  }
  if (event === 'ApplicationStop') {
    // The agent runs ApplicationStop from the last successful revision's AppSpec, if there was one.
    const previous = dep.previousRevisionInfo?.inspection
    const scripts = previous?.ok && previous.appspec ? hookScripts(previous.appspec, event) : []
    if (!rule) return { slow: scripts.length > 0 }
    const failure = ruleDiagnostics(rule, event, scripts[0])
    if (!dep.ignoreApplicationStopFailures) return { slow: true, failure }
    return {
      slow: true,
      diagnostics: {
        ...SUCCESS_DIAGNOSTICS,
        scriptName: failure.scriptName,
        logTail: `${failure.logTail}[ignored: ignoreApplicationStopFailures is set]\n`
      }
    }
  }
  if (!insp.ok) return { slow: false } // not reached: DownloadBundle already failed
  if (insp.appspecError)
    return { slow: true, failure: { errorCode: 'UnknownError', scriptName: '', message: insp.appspecError, logTail: '' } }
  const scripts = hookScripts(insp.appspec, event)
  for (const script of scripts) {
    const rel = normalizeEntry(script.location)
    if (!insp.files.has(rel)) {
      return {
        slow: true,
        failure: {
          errorCode: 'ScriptMissing',
          scriptName: script.location,
          message: `Script does not exist at specified location: ${dep.archiveDir}/${rel}`,
          logTail: ''
        }
      }
    }
  }
  if (rule) return { slow: true, failure: ruleDiagnostics(rule, event, scripts[0]) }
  return { slow: scripts.length > 0 }
}
