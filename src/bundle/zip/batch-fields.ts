// How a batch of small entries is packed for a deflate worker (FilesTask in deflate-pool.ts) and how its results come back.
/** Numbers per entry of a FilesTask: kind (ENTRY_FILE...), size, deflate (1 or 0), and the walk's inode, mtimeMs, ctimeMs (NaN when none). */
export const BATCH_FIELDS = 6
export const ENTRY_FILE = 0
export const ENTRY_DIR = 1
export const ENTRY_SYMLINK = 2
/** Numbers per entry of a batch's result: crc, size, compressed length, deflated (1 or 0), where its local header starts in the slot. */
export const RESULT_FIELDS = 5
