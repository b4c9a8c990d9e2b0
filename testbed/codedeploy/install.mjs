// @ts-check
// What the CodeDeploy agent leaves on an instance: the revision unpacked with the same commands the
// agent runs (lib/instance_agent/platform/linux_util.rb: `unzip -qo <bundle> -d <dir>`,
// `tar -xpsf` / `tar -zxpsf`), then the appspec's `files` copied to their destinations with
// FileUtils.copy(..., preserve: true) (install_instruction.rb): a file keeps the mtime it has in
// the bundle, a directory is made fresh (mkdir_p), a link is made again. Destinations are under
// `<instanceRoot>`, one per deployment, standing for every instance of it.
import { execFile } from 'node:child_process'
import fsp from 'node:fs/promises'
import path from 'node:path'

/** unzip's "disk full" exit code: the agent says so instead of falling back to rubyzip. */
const UNZIP_DISK_FULL = 50

/**
 * @param {string} command @param {string[]} args @param {string} cwd
 * @returns {Promise<{ code: number, stderr: string }>}
 */
function exec(command, args, cwd) {
  return new Promise(resolve => {
    execFile(command, args, { cwd, timeout: 120_000, maxBuffer: 16 << 20 }, (error, _stdout, stderr) => {
      const code = error ? (typeof (/** @type {any} */ (error).code) === 'number' ? /** @type {any} */ (error).code : -1) : 0
      resolve({ code, stderr: String(stderr || (error ? error.message : '')) })
    })
  })
}

/**
 * Unpacks the revision into `dir` as the agent does. Returns undefined, or the agent's message.
 * unzip's warnings (exit code 1) pass: the agent then retries with rubyzip, which unpacks such
 * archives; a real error (a CRC that does not match, a truncated file) fails DownloadBundle.
 * @param {string} file @param {string} bundleType @param {string} dir
 * @returns {Promise<string | undefined>}
 */
export async function unpack(file, bundleType, dir) {
  await fsp.mkdir(dir, { recursive: true })
  const absolute = path.resolve(file)
  if (bundleType === 'zip') {
    const { code, stderr } = await exec('unzip', ['-qo', absolute, '-d', dir], dir)
    if (code === 0 || code === 1) return undefined
    if (code === UNZIP_DISK_FULL) return 'The disk is (or was) full during extraction.'
    return `Error extracting zip archive: ${code} (${stderr.trim().split('\n').slice(0, 3).join(' ')})`
  }
  const { code, stderr } = await exec('tar', [bundleType === 'tgz' ? '-zxpsf' : '-xpsf', absolute], dir)
  return code === 0 ? undefined : `Error extracting tar archive: ${code} (${stderr.trim().split('\n').slice(0, 3).join(' ')})`
}

/**
 * Copies each `files` mapping of the appspec from the unpacked revision to `instanceRoot` +
 * destination, keeping each file's mtime and mode (preserve: true). Returns undefined, or why not.
 * @param {string} archiveDir @param {any} appspec @param {string} instanceRoot
 * @returns {Promise<string | undefined>}
 */
export async function install(archiveDir, appspec, instanceRoot) {
  const files = Array.isArray(appspec?.files) ? appspec.files : []
  for (const mapping of files) {
    if (!mapping || typeof mapping.source !== 'string' || typeof mapping.destination !== 'string') continue
    const source = path.join(archiveDir, mapping.source)
    const destination = path.join(instanceRoot, mapping.destination)
    let stat
    try {
      stat = await fsp.lstat(source)
    } catch {
      return `The deployment failed because the application specification file specifies a source (${mapping.source}) that does not exist in the revision.`
    }
    if (stat.isDirectory()) await copyTree(source, destination)
    else await copyEntry(source, path.join(destination, path.basename(source)), stat)
  }
  return undefined
}

/** @param {string} from @param {string} to */
async function copyTree(from, to) {
  await fsp.mkdir(to, { recursive: true })
  for (const name of await fsp.readdir(from)) {
    const source = path.join(from, name)
    const stat = await fsp.lstat(source)
    if (stat.isDirectory()) await copyTree(source, path.join(to, name))
    else await copyEntry(source, path.join(to, name), stat)
  }
}

/** @param {string} source @param {string} target @param {import('node:fs').Stats} stat */
async function copyEntry(source, target, stat) {
  await fsp.mkdir(path.dirname(target), { recursive: true })
  await fsp.rm(target, { force: true })
  if (stat.isSymbolicLink()) return fsp.symlink(await fsp.readlink(source), target)
  await fsp.copyFile(source, target)
  await fsp.chmod(target, stat.mode & 0o7777)
  await fsp.utimes(target, stat.atime, stat.mtime)
}
