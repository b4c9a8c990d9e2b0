// @ts-check
// Application revisions: RegisterApplicationRevision, GetApplicationRevision,
// ListApplicationRevisions. A revision is known to its application once registered or deployed
// (CreateDeployment records it, as the service lists deployed revisions too). S3 revisions are
// told apart by bucket, key, bundle type, version and eTag; content revisions by their sha256.
import { fail } from './errors.mjs'
import { pageOf } from './paging.mjs'

/**
 * @typedef {import('./state.mjs').Store} Store
 * @typedef {import('./state.mjs').RevisionRecord} RevisionRecord
 */

const SORT_BY = ['registerTime', 'firstUsedTime', 'lastUsedTime']
const SORT_ORDER = ['ascending', 'descending']
const DEPLOYED = ['include', 'exclude', 'ignore']
const DESCRIPTION_LIMIT = 512

/** @param {any} revision @returns {string} */
export function revisionKey(revision) {
  const s3 = revision.s3Location ?? {}
  if (revision.revisionType === 'S3') return ['S3', s3.bucket, s3.key, s3.bundleType ?? '', s3.version ?? '', s3.eTag ?? ''].join('\0')
  const content = revision.appSpecContent ?? revision.string ?? {}
  return [revision.revisionType, content.sha256 ?? content.content ?? ''].join('\0')
}

/** @param {any} revision */
function checkRevision(revision) {
  if (!revision || typeof revision !== 'object') fail('RevisionRequiredException', 'The revision ID was not specified.')
  if (revision.revisionType === 'S3') {
    const s3 = revision.s3Location
    if (!s3?.bucket || !s3.key) fail('InvalidRevisionException', 'The S3 revision is missing the bucket name or the object key.')
    return
  }
  if (revision.revisionType === 'AppSpecContent' || revision.revisionType === 'String') return
  fail('InvalidRevisionException', `The revision type ${revision.revisionType ?? '(none)'} is not valid.`)
}

/** @param {Store} store @param {string} app @returns {Map<string, RevisionRecord>} */
function revisionsOf(store, app) {
  let map = store.revisions.get(app)
  if (!map) store.revisions.set(app, (map = new Map()))
  return map
}

/** A deployment used `revision`: it is now the group's target revision. @param {Store} store @param {string} app @param {string} group @param {any} revision */
export function recordDeployedRevision(store, app, group, revision) {
  const now = Date.now()
  const map = revisionsOf(store, app)
  for (const r of map.values()) r.deploymentGroups.delete(group)
  const key = revisionKey(revision)
  const rec = map.get(key) ?? { revision: JSON.parse(JSON.stringify(revision)), deploymentGroups: new Set() }
  rec.firstUsedTime ??= now
  rec.lastUsedTime = now
  rec.deploymentGroups.add(group)
  map.set(key, rec)
}

/** @param {number | undefined} ms */
const sec = ms => (ms === undefined ? undefined : ms / 1000)

/** @param {RevisionRecord} r */
const genericInfo = r => ({
  ...(r.description !== undefined ? { description: r.description } : {}),
  deploymentGroups: [...r.deploymentGroups].sort(),
  ...(r.firstUsedTime !== undefined ? { firstUsedTime: sec(r.firstUsedTime) } : {}),
  ...(r.lastUsedTime !== undefined ? { lastUsedTime: sec(r.lastUsedTime) } : {}),
  ...(r.registerTime !== undefined ? { registerTime: sec(r.registerTime) } : {})
})

/** @param {{ store: Store }} ctx */
export function revisionOps({ store }) {
  return {
    /** @param {any} input */
    RegisterApplicationRevision(input) {
      const app = store.app(input.applicationName)
      checkRevision(input.revision)
      if (typeof input.description === 'string' && input.description.length > DESCRIPTION_LIMIT)
        fail('DescriptionTooLongException', `The description is too long: at most ${DESCRIPTION_LIMIT} characters allowed.`)
      const map = revisionsOf(store, app.applicationName)
      const key = revisionKey(input.revision)
      const rec = map.get(key) ?? { revision: JSON.parse(JSON.stringify(input.revision)), deploymentGroups: new Set() }
      rec.registerTime = Date.now()
      if (input.description !== undefined) rec.description = input.description
      map.set(key, rec)
      return {}
    },

    /** @param {any} input */
    GetApplicationRevision(input) {
      const app = store.app(input.applicationName)
      checkRevision(input.revision)
      const rec = revisionsOf(store, app.applicationName).get(revisionKey(input.revision))
      if (!rec) fail('RevisionDoesNotExistException', `No application revision found for revision in application ${app.applicationName}.`)
      return { applicationName: app.applicationName, revision: rec.revision, revisionInfo: genericInfo(rec) }
    },

    /** @param {any} input */
    ListApplicationRevisions(input) {
      const app = store.app(input.applicationName)
      if (input.sortBy !== undefined && !SORT_BY.includes(input.sortBy))
        fail('InvalidSortByException', 'The column name to sort by is either not present or was specified in an invalid format.')
      if (input.sortOrder !== undefined && !SORT_ORDER.includes(input.sortOrder))
        fail('InvalidSortOrderException', 'The sort order was specified in an invalid format.')
      if (input.deployed !== undefined && !DEPLOYED.includes(input.deployed))
        fail('InvalidDeployedStateFilterException', 'The deployed state filter was specified in an invalid format.')
      if (input.s3KeyPrefix !== undefined && !input.s3Bucket)
        fail('BucketNameFilterRequiredException', 'A bucket name is required, but was not provided.')
      /** @type {RevisionRecord[]} */
      const all = [...revisionsOf(store, app.applicationName).values()]
      if (input.sortBy) {
        const dir = input.sortOrder === 'descending' ? -1 : 1
        all.sort(
          (a, b) => dir * ((a[/** @type {'registerTime'} */ (input.sortBy)] ?? 0) - (b[/** @type {'registerTime'} */ (input.sortBy)] ?? 0))
        )
      }
      const { items, nextToken } = pageOf(
        all,
        input.nextToken,
        r => {
          const s3 = r.revision.s3Location
          if (input.s3Bucket && s3?.bucket !== input.s3Bucket) return false
          if (input.s3KeyPrefix && !String(s3?.key ?? '').startsWith(input.s3KeyPrefix)) return false
          if (input.deployed === 'include') return r.deploymentGroups.size > 0
          if (input.deployed === 'exclude') return r.deploymentGroups.size === 0
          return true
        },
        50
      )
      return { revisions: items.map(r => r.revision), ...(nextToken ? { nextToken } : {}) }
    }
  }
}
