import * as fs from 'node:fs'
import * as path from 'node:path'
import type { BundleType, UploadMode } from '../core/domain.js'
import { ActionError } from '../core/errors.js'
import { lines, oneOf, type InputReader } from './reader.js'

/** What is deployed and under which key: `bundle-type`, `bundle` (an archive built earlier) and `s3-key`. */
export interface BundleSource {
  bundleType: BundleType
  /** Absolute, symlinks resolved: the archive uploaded as it is. */
  prebuiltBundle: string | undefined
  s3Key: string | undefined
}

const BUNDLE_TYPES = ['zip', 'tar', 'tgz'] as const
/** action.yml's default: a value the runner passes even when the workflow never set bundle-type. */
const DEFAULT_TYPE = 'zip'

/** The bundle type a file or key name implies, from its extension; undefined when it implies none. */
export function typeFromName(name: string): BundleType | undefined {
  const lower = name.toLowerCase()
  if (lower.endsWith('.zip')) return 'zip'
  if (lower.endsWith('.tgz') || lower.endsWith('.tar.gz')) return 'tgz'
  if (lower.endsWith('.tar')) return 'tar'
  return undefined
}

/** `roots`: where an archive may be read from (the workspace, and RUNNER_TEMP where builds often write). */
export function readBundleSource(input: InputReader, roots: readonly string[], upload: UploadMode): BundleSource {
  const given = oneOf(input, 'bundle-type', BUNDLE_TYPES, undefined)
  const s3Key = readKey(input)
  const keyType = s3Key === undefined ? undefined : typeFromName(s3Key)
  const prebuilt = input('bundle')
  if (!prebuilt) {
    // An object already in S3 (an artifact of another pipeline) is deployed as the type its key names.
    if (keyType && given && given !== DEFAULT_TYPE && given !== keyType) {
      throw new ActionError(`names a ${keyType} archive, but bundle-type is ${given}.`, {
        input: 's3-key',
        fix: `end the key with the extension of its type (.zip, .tar, .tgz), or set bundle-type: ${keyType}.`
      })
    }
    return { bundleType: keyType ?? given ?? DEFAULT_TYPE, prebuiltBundle: undefined, s3Key }
  }

  const file = readArchivePath(prebuilt, roots)
  const type = typeFromName(prebuilt)
  if (!type) {
    throw new ActionError(`'${prebuilt}' does not name its archive type.`, {
      input: 'bundle',
      fix: 'name the archive with its type: .zip, .tar, .tgz or .tar.gz (CodeDeploy is told the type, it does not guess it).'
    })
  }
  const conflict = (name: string, why: string): ActionError =>
    new ActionError(`is set together with bundle, which is already the whole archive (${why}).`, {
      input: name,
      fix: `remove ${name}: with bundle the archive is uploaded as it is, so nothing is packaged from source-dir.`
    })
  if ((input('source-dir') || '.') !== '.') throw conflict('source-dir', 'nothing is packaged')
  if (lines(input('exclude')).length) throw conflict('exclude', 'nothing is packaged')
  if (given && given !== DEFAULT_TYPE && given !== type) throw conflict('bundle-type', `its name says ${type}`)
  if (upload === 'never') {
    throw new ActionError('is never, but bundle names an archive to upload.', {
      input: 'upload',
      fix: 'use upload: auto (uploads unless the identical archive is already at the key), or remove bundle to deploy the object in S3.'
    })
  }
  if (keyType && keyType !== type) {
    throw new ActionError(`ends in the extension of a ${keyType} archive, but bundle is a ${type} archive.`, {
      input: 's3-key',
      fix: `give the key the extension of the archive's type (${type}).`
    })
  }
  return { bundleType: type, prebuiltBundle: file, s3Key }
}

function readKey(input: InputReader): string | undefined {
  const key = input('s3-key')
  if (!key) return undefined
  if (
    /^(s3|arn|https?):/i.test(key) ||
    key.startsWith('/') ||
    key.endsWith('/') ||
    key.split('/').includes('..') ||
    /[\p{Cc}\\]/u.test(key) ||
    Buffer.byteLength(key) > 1024
  ) {
    throw new ActionError(`'${key}' is not a usable S3 key.`, {
      input: 's3-key',
      fix: 'give the object key alone (not an s3:// URI), without a leading or trailing /, "..", backslashes or control characters, e.g. `s3-key: builds/shop-1.4.2.zip`.'
    })
  }
  if (input('s3-key-prefix')) {
    throw new ActionError('is set together with s3-key-prefix, which it replaces.', {
      input: 's3-key',
      fix: 'put the prefix in s3-key itself (s3-key is the whole key), or remove s3-key-prefix.'
    })
  }
  return key
}

function readArchivePath(given: string, roots: readonly string[]): string {
  const absolute = path.resolve(roots[0]!, given)
  const fix =
    'give the path of the archive relative to the workspace, written by an earlier step of this job (or downloaded with actions/download-artifact).'
  let stat: fs.Stats
  try {
    stat = fs.statSync(absolute)
  } catch {
    throw new ActionError(`'${given}' does not exist (looked for ${absolute}).`, { input: 'bundle', fix })
  }
  if (!stat.isFile()) throw new ActionError(`'${given}' is not a file.`, { input: 'bundle', fix })
  const real = fs.realpathSync(absolute)
  const allowed = roots.filter(root => fs.existsSync(root)).map(root => fs.realpathSync(root))
  if (!allowed.some(root => real.startsWith(root + path.sep))) {
    throw new ActionError(`'${given}' is outside the workspace${allowed.length > 1 ? ' and RUNNER_TEMP' : ''}.`, {
      input: 'bundle',
      fix: 'build or download the archive into the workspace or RUNNER_TEMP (${{ runner.temp }}).'
    })
  }
  return real
}
