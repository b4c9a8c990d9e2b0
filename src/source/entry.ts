/** One thing that goes into the bundle, named by its path from the bundle root ('/'-separated). */
export interface Entry {
  path: string
  kind: 'file' | 'dir' | 'symlink'
  /** Unix permission bits (0o7777 mask). */
  mode: number
  /** Bytes on disk when collected (0 for directories). */
  size: number
  /**
   * How this process opens it: relative to the working directory when the source is inside it (as the
   * action's source-dir is inside the workspace it runs in), absolute otherwise.
   */
  diskPath: string
  /** For symlinks: the link's text, always pointing inside the bundle. */
  linkTarget?: string | undefined
  /** For files: what lstat said when the tree was listed, so the writers notice a file that changes before or while it is read. */
  listed?: FileVersion | undefined
}

/** A file's identity and last change: a write, a replace or a chmod changes one of these. */
export interface FileVersion {
  ino: number
  mtimeMs: number
  ctimeMs: number
}

/**
 * An entry as the walk lists it: a class rather than an object literal per kind, so every listed
 * entry has one shape (the writers' per-entry code sees one, not three), and V8 tracks no
 * allocation site for it. It does track one per literal, and moving a site's objects to the old
 * generation halfway through a walk threw away the walk's optimized code, several times, each
 * recompile costing more than the listing of a directory.
 */
export class ListedEntry implements Entry {
  constructor(
    readonly path: string,
    readonly kind: Entry['kind'],
    readonly mode: number,
    readonly size: number,
    readonly diskPath: string,
    readonly linkTarget: string | undefined,
    readonly listed: FileVersion | undefined
  ) {}
}

/** What lstat said of a listed file (a class, as ListedEntry, for the same reason). */
export class ListedVersion implements FileVersion {
  constructor(
    readonly ino: number,
    readonly mtimeMs: number,
    readonly ctimeMs: number
  ) {}
}
