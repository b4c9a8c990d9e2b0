// @ts-check
import { fail } from './errors.mjs'

/**
 * One page of the items matching `keep`, resuming after the position encoded in `token`.
 * The token is the index to resume from, so a full listing costs O(n) whatever the page size.
 * @template T
 * @param {T[]} all
 * @param {unknown} token
 * @param {(item: T) => boolean} keep
 * @param {number} size
 * @returns {{ items: T[], nextToken: string | undefined }}
 */
export function pageOf(all, token, keep, size) {
  let i = 0
  if (token !== undefined && token !== null && token !== '') {
    const m = typeof token === 'string' ? /^p(\d+)$/.exec(Buffer.from(token, 'base64url').toString()) : null
    if (!m) fail('InvalidNextTokenException', 'The next token was specified in an invalid format.')
    i = Number(m[1])
  }
  /** @type {T[]} */
  const items = []
  for (; i < all.length && items.length < size; i++) {
    const item = /** @type {T} */ (all[i])
    if (keep(item)) items.push(item)
  }
  let more = false
  for (let j = i; j < all.length; j++) {
    if (keep(/** @type {T} */ (all[j]))) {
      more = true
      break
    }
  }
  return { items, nextToken: more ? Buffer.from(`p${i}`).toString('base64url') : undefined }
}
