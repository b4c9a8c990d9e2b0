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
  linkTarget?: string
  /** For files: what lstat said when the tree was listed, so the writers notice a file that changes before or while it is read. */
  listed?: FileVersion
}

/** A file's identity and last change: a write, a replace or a chmod changes one of these. */
export interface FileVersion {
  ino: number
  mtimeMs: number
  ctimeMs: number
}
