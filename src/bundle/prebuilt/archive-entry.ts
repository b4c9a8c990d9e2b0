/** One entry of an archive built earlier, as its headers describe it. */
export interface ArchiveEntry {
  /** As stored, before normalising: what messages quote. */
  raw: string
  /** '/'-separated, no leading './' or '/', no trailing '/'. */
  path: string
  kind: 'file' | 'dir' | 'symlink'
  /** Unix permission bits (0o7777 mask). */
  mode: number
  size: number
}

/** What the checks need of an archive: its entries and the bytes of the few files they read. */
export interface ArchiveIndex {
  entries: ArchiveEntry[]
  /** Contents of the wanted entries that are present (by normalised path). */
  contents: Map<string, Buffer>
}

/** The largest wanted file read into memory: an appspec.yml is a few KB. */
export const MAX_WANTED_SIZE = 1 << 20

/** An entry name as the CodeDeploy agent unpacks it: no leading './' or '/', no trailing '/'. */
export function normalizeName(name: string): string {
  let n = name
  while (n.startsWith('./') || n.startsWith('/')) n = n.startsWith('./') ? n.slice(2) : n.slice(1)
  return n.replace(/\/+$/, '')
}
