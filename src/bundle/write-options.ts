/** What every bundle writer (zip, tar, tgz) is given besides the entries and the target file. */
export interface WriteOptions {
  /** Every entry's modification time: the commit's time, stored as UTC. */
  mtime: Date
  /** A cancel: the writer stops within a second and rejects; writeBundle removes the temp directory. */
  signal: AbortSignal
  /** Called as source bytes are read, with the running total, for the progress lines. */
  onProgress?: (bytesRead: number) => void
  /**
   * Called as the archive grows with `upTo`: its first `upTo` bytes are on disk and final (no later
   * patch or rewind touches them), so a reader may upload them while the rest is written. The writer
   * waits for a returned promise before writing on: a slow reader holds it back.
   */
  onFinal?: (upTo: number) => void | Promise<void>
}
