import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { BundleType } from '../../core/domain.js'
import { ActionError } from '../../core/errors.js'
import type { Entry } from '../../source/walk-tree.js'
import { checkAppSpec, type AppSpec } from '../../appspec/ec2/check-appspec.js'
import { digestFile, type Bundle } from '../write-bundle.js'
import type { ArchiveEntry, ArchiveIndex } from './archive-entry.js'
import { readTarIndex } from './read-tar-index.js'
import { CorruptArchive, readZipIndex } from './read-zip-index.js'

const APPSPEC = 'appspec.yml'

export interface CheckedPrebuilt {
  /** The archive's entries, as the appspec checks read a source tree's. */
  entries: Entry[]
  appspec: AppSpec
}

/**
 * The `bundle` input: an archive built earlier, checked the way a source-dir is (appspec.yml at
 * its root, hooks that exist, no entry that unpacks outside the deployment), from its headers.
 */
export async function checkPrebuilt(file: string, type: BundleType, tempRoot = os.tmpdir()): Promise<CheckedPrebuilt> {
  const index = await readIndex(file, type)
  refuseUnsafe(index.entries)
  const entries: Entry[] = index.entries.map(e => ({
    path: e.path,
    kind: e.kind,
    mode: e.mode,
    size: e.size,
    diskPath: `${file}#${e.path}`
  }))
  const text = index.contents.get(APPSPEC)
  if (!entries.some(e => e.path === APPSPEC && e.kind === 'file') || text === undefined) throw missingAppSpec(index.entries, type)
  // The appspec checks read appspec.yml from a directory: give them one holding just that file.
  const dir = await fs.promises.mkdtemp(path.join(tempRoot, 'codedeploy-prebuilt-'))
  try {
    await fs.promises.writeFile(path.join(dir, APPSPEC), text)
    return { entries, appspec: checkAppSpec(dir, entries) }
  } catch (error) {
    // The checks speak of source-dir; here the files come from the archive, built elsewhere.
    if (error instanceof ActionError && / is not in the bundle/.test(error.message)) {
      throw new ActionError(error.message, {
        fix: 'add it to the archive in the step that builds it, or fix the location in appspec.yml.',
        ...(error.code ? { code: error.code } : {})
      })
    }
    throw error
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true })
  }
}

/** A copy of the archive in a fresh temp directory, so removing the bundle after the run never touches the user's file. */
export async function stagePrebuilt(
  file: string,
  type: BundleType,
  entries: number,
  signal: AbortSignal,
  tempRoot = os.tmpdir()
): Promise<Bundle> {
  const dir = await fs.promises.mkdtemp(path.join(tempRoot, 'codedeploy-bundle-'))
  const copy = path.join(dir, `bundle.${type}`)
  // A copy-on-write clone where the file system has them: byte for byte, and free.
  await fs.promises.copyFile(file, copy, fs.constants.COPYFILE_FICLONE)
  const size = (await fs.promises.stat(copy)).size
  return { file: copy, type, size, ...(await digestFile(copy, signal)), entries }
}

async function readIndex(file: string, type: BundleType): Promise<ArchiveIndex> {
  try {
    return type === 'zip' ? await readZipIndex(file, [APPSPEC]) : await readTarIndex(file, type === 'tgz', [APPSPEC])
  } catch (error) {
    if (!(error instanceof CorruptArchive)) throw error
    throw new ActionError(`'${path.basename(file)}' is not a readable ${type} archive: ${error.message}.`, {
      input: 'bundle',
      fix: 'check the step that builds it, and that its name gives its real type (.zip, .tar, .tgz or .tar.gz).'
    })
  }
}

function refuseUnsafe(entries: readonly ArchiveEntry[]): void {
  for (const e of entries) {
    if (e.raw.split(/[\\/]/).includes('..') || e.raw.includes('\\')) {
      throw new ActionError(
        `has '${e.raw}', which would unpack outside the deployment directory (or, with a backslash, elsewhere on Windows).`,
        {
          input: 'bundle',
          fix: 'build the archive from inside the directory to deploy, with relative names only (e.g. `cd dist && zip -r ../app.zip .`).'
        }
      )
    }
    if (e.path === '.git' || e.path.startsWith('.git/')) {
      throw new ActionError(`has ${e.raw}: a checkout's .git/ carries the token actions/checkout left in .git/config.`, {
        input: 'bundle',
        fix: "leave .git out of the archive (zip -x '.git/*', tar --exclude=.git)."
      })
    }
  }
}

function missingAppSpec(entries: readonly ArchiveEntry[], type: BundleType): ActionError {
  const build = type === 'zip' ? '`cd dist && zip -r ../app.zip .`' : '`tar -C dist -czf app.tgz .`'
  if (entries.some(e => e.path === APPSPEC && e.kind !== 'file')) {
    return new ActionError(`has ${APPSPEC} at its root, but not as a file.`, {
      input: 'bundle',
      fix: `make ${APPSPEC} the AppSpec file itself.`
    })
  }
  if (entries.some(e => e.path === APPSPEC)) {
    return new ActionError(`has an ${APPSPEC} too large to be an AppSpec file.`, { input: 'bundle', fix: `check what ${APPSPEC} holds.` })
  }
  if (entries.some(e => e.path === 'appspec.yaml')) {
    return new ActionError(`has appspec.yaml at its root, but the CodeDeploy agent only reads ${APPSPEC}.`, {
      input: 'bundle',
      fix: `rename appspec.yaml to ${APPSPEC} before building the archive.`
    })
  }
  const nested = entries.find(e => e.path.endsWith(`/${APPSPEC}`))
  if (nested) {
    return new ActionError(`has no ${APPSPEC} at its root; found ${nested.path}, which the agent does not read.`, {
      input: 'bundle',
      fix: `build the archive from inside ${nested.path.slice(0, -APPSPEC.length - 1)}/ so ${APPSPEC} is at its root, e.g. ${build}.`
    })
  }
  return new ActionError(`has no ${APPSPEC} at its root.`, {
    input: 'bundle',
    fix: `add ${APPSPEC} (version: 0.0, os: linux, files, hooks) at the root of the directory the archive is built from, e.g. ${build}.`
  })
}
