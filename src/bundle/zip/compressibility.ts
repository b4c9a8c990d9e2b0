/** Formats that are compressed already: deflating them costs time and gains nothing. */
const COMPRESSED_EXTENSIONS = new Set([
  '7z',
  'aac',
  'apk',
  'avif',
  'br',
  'bz2',
  'ear',
  'flac',
  'gif',
  'gz',
  'heic',
  'jar',
  'jpeg',
  'jpg',
  'lz',
  'lz4',
  'lzma',
  'm4a',
  'mkv',
  'mov',
  'mp3',
  'mp4',
  'nupkg',
  'ogg',
  'opus',
  'png',
  'rar',
  'tgz',
  'txz',
  'war',
  'webm',
  'webp',
  'whl',
  'woff',
  'woff2',
  'xz',
  'zip',
  'zst'
])

/** Sample deflated to judge a large file before compressing all of it. */
export const PROBE_BYTES = 256 * 1024
/** Stored rather than deflated unless deflating saves at least this share. */
export const MIN_GAIN = 0.02

export function isKnownCompressed(name: string): boolean {
  const dot = name.lastIndexOf('.')
  return dot > name.lastIndexOf('/') && COMPRESSED_EXTENSIONS.has(name.slice(dot + 1).toLowerCase())
}

export function worthDeflating(originalSize: number, deflatedSize: number): boolean {
  return deflatedSize <= originalSize * (1 - MIN_GAIN)
}
