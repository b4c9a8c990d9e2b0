/**
 * The job summary as a person sees it: rendered by a GFM renderer (marked), then read as HTML.
 * Asserts what the eye meets first (the diagnosis and the log tail before any table), that every
 * table has a real header row, and that the tables in sight (outside <details>) are narrow enough
 * for a ~1,000 px page: at most 5 columns, and an estimated width within 1,000 px.
 */
import { marked } from 'marked'
import { failuresOf, type DeploymentResult, type InstanceState } from '../../../src/watch/deployment-result.js'
import type { DeployedAppSpec } from '../../../src/report/run-report.js'
import { renderSummary, renderSummaryWithin } from '../../../src/report/summary.js'
import { group, instance, result, runReport, settings, T0 } from '../../helpers/report.js'

const MAX_COLUMNS = 5
const PAGE_PX = 1000
/** GitHub's body text is 14 px: about 7 px a character, code a little more; 8 is on the safe side. */
const CHAR_PX = 8
/** A cell's padding (6 px 13 px) and border. */
const CELL_PX = 27

interface Table {
  header: string[]
  rows: string[][]
}

function html(md: string): string {
  return marked.parse(md, { gfm: true, async: false })
}

/** The page with every <details> block (folded until clicked) removed, nested ones included. */
function visible(page: string): string {
  let out = ''
  let depth = 0
  for (const part of page.split(/(<details>|<\/details>)/)) {
    if (part === '<details>') depth++
    else if (part === '</details>') depth--
    else if (depth === 0) out += part
  }
  return out
}

function text(cell: string): string {
  return cell
    .replace(/<[^>]*>/g, '')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim()
}

function tables(page: string): Table[] {
  return [...page.matchAll(/<table>([\s\S]*?)<\/table>/g)].map(([, body]) => {
    const cells = (row: string, tag: string): string[] =>
      [...row.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))].map(m => text(m[1]!))
    const rows = [...body!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(m => m[1]!)
    return { header: cells(rows[0] ?? '', 'th'), rows: rows.slice(1).map(r => cells(r, 'td')) }
  })
}

/** Characters as wide as a letter: an emoji takes about two. */
function chars(cell: string): number {
  return [...cell.replace(/\uFE0F/g, '')].reduce((n, c) => n + (/\p{Extended_Pictographic}/u.test(c) ? 2 : 1), 0)
}

/** The width a table asks for when no cell wraps: its widest cell per column, plus padding. */
function widthPx(t: Table): number {
  return t.header.reduce((sum, h, col) => sum + Math.max(chars(h), ...t.rows.map(r => chars(r[col] ?? ''))) * CHAR_PX + CELL_PX, 0)
}

/** What every rendered summary must satisfy, whatever the outcome. */
function expectReadable(md: string): { page: string; shown: Table[]; folded: Table[] } {
  const page = html(md)
  const shown = tables(visible(page))
  const all = tables(page)
  for (const t of all) {
    expect(t.header.length).toBeGreaterThan(0)
    for (const h of t.header) expect(h).not.toBe('')
  }
  // Listed, so a failure names the table and its measure.
  const tooWide = shown
    .map(t => ({ header: t.header, columns: t.header.length, px: widthPx(t) }))
    .filter(t => t.columns > MAX_COLUMNS || t.px > PAGE_PX)
  expect(tooWide).toEqual([])
  return { page, shown, folded: all.filter(t => !shown.some(s => s.header.join() === t.header.join() && s.rows.length === t.rows.length)) }
}

/** Where the diagnosis ends: the log tail's <pre> when there is one, else the first paragraph after the title. */
function positions(page: string): { diagnosis: number; logTail: number; firstTable: number } {
  return { diagnosis: page.indexOf('<p>'), logTail: page.indexOf('<pre>'), firstTable: page.indexOf('<table>') }
}

const START_FAILED = 'Script at specified location: scripts/start.sh run as user root failed with exit code 1'
const failingAt = (
  id: string,
  event: string,
  logTail = '[stderr]Error: listen EADDRINUSE: address already in use :::8080'
): InstanceState =>
  instance(id, { event, diagnostics: { errorCode: 'ScriptFailed', scriptName: 'scripts/start.sh', message: START_FAILED, logTail } })

function failed(overrides: Partial<DeploymentResult> = {}): DeploymentResult {
  const instances = [instance('i-0aaa1111aaaa1111a'), failingAt('i-0bbb2222bbbb2222b', 'ApplicationStart'), instance('i-0ccc3333cccc3333c')]
  return result({
    deploymentId: 'd-FAILED001',
    status: 'Failed',
    errorCode: 'HEALTH_CONSTRAINTS',
    errorMessage: 'The overall deployment failed because too many individual instances failed deployment',
    overview: { Pending: 0, InProgress: 0, Succeeded: 2, Failed: 1, Skipped: 0, Ready: 0 },
    instances,
    failures: failuresOf(instances),
    ...overrides
  })
}

const DIAGNOSIS = '❌ ApplicationStart failed on i-0bbb2222bbbb2222b: scripts/start.sh exited with code 1 (ScriptFailed)'

describe('a failed deployment, rendered', () => {
  test('the diagnosis line and the log tail come before any table; the instance matrix is folded', () => {
    const md = renderSummary(runReport({ groups: [group(failed())] }))
    const { page, shown, folded } = expectReadable(md)
    const at = positions(page)
    expect(text(page.slice(at.diagnosis, page.indexOf('</p>', at.diagnosis)))).toBe(DIAGNOSIS)
    expect(text(page.slice(at.logTail, page.indexOf('</pre>', at.logTail)))).toBe(
      '[stderr]Error: listen EADDRINUSE: address already in use :::8080'
    )
    expect(at.diagnosis).toBeLessThan(at.logTail)
    expect(at.logTail).toBeLessThan(at.firstTable)

    // In sight: the facts with a real header, then the one instance that failed and where.
    expect(shown.map(t => t.header)).toEqual([
      ['Fact', 'Value'],
      ['Instance', 'Status', 'Stopped at', 'Took']
    ])
    expect(shown[1]!.rows).toEqual([['i-0bbb2222bbbb2222b', '❌ Failed', '❌ ApplicationStart', '2.0s']])
    // Folded: every instance, every event.
    const matrix = folded.find(t => t.header[0] === 'Instance')
    expect(matrix?.header).toHaveLength(9)
    expect(matrix?.rows).toHaveLength(3)
    expect(page).toMatch(/<details><summary>All 3 instance\(s\) and their lifecycle events<\/summary>/)
  })

  test('a script that timed out, and a message the agent words otherwise', () => {
    const timedOut = failed()
    timedOut.failures[0]!.message = 'Script at specified location: scripts/start.sh failed to complete in 300 seconds'
    let page = html(renderSummary(runReport({ groups: [group(timedOut)] })))
    expect(text(page.slice(positions(page).diagnosis, page.indexOf('</p>')))).toBe(
      '❌ ApplicationStart failed on i-0bbb2222bbbb2222b: scripts/start.sh did not finish within its 300s timeout (ScriptFailed)'
    )
    const missing = failed()
    Object.assign(missing.failures[0]!, {
      errorCode: 'ScriptMissing',
      message: 'Script does not exist at specified location: /opt/codedeploy-agent/deployment-root/x/scripts/start.sh'
    })
    page = html(renderSummary(runReport({ groups: [group(missing)] })))
    expect(text(page.slice(positions(page).diagnosis, page.indexOf('</p>')))).toBe(
      '❌ ApplicationStart failed on i-0bbb2222bbbb2222b in scripts/start.sh (ScriptMissing): Script does not exist at specified location: /opt/codedeploy-agent/deployment-root/x/scripts/start.sh'
    )
  })
})

test('instances skipped (they never got the revision) are in sight too, after the failed one', () => {
  const r = failed()
  const skipped: InstanceState = {
    id: 'i-0ddd4444dddd4444d',
    status: 'Skipped',
    events: instance('x').events.map(e => ({ ...e, status: 'Skipped', startTime: undefined, endTime: undefined }))
  }
  r.instances = [skipped, ...r.instances]
  const { shown } = expectReadable(renderSummary(runReport({ groups: [group(r)] })))
  expect(shown[1]?.rows).toEqual([
    ['i-0bbb2222bbbb2222b', '❌ Failed', '❌ ApplicationStart', '2.0s'],
    ['i-0ddd4444dddd4444d', '⏭️ Skipped', '⏭️ skipped: not deployed', '']
  ])
})

describe('a rolled-back deployment, rendered', () => {
  test('diagnosis, log tail, then what the rollback did; all before the tables', () => {
    const rollback = result({ deploymentId: 'd-ROLLBACK1', instances: [instance('i-0aaa1111aaaa1111a'), instance('i-0bbb2222bbbb2222b')] })
    const md = renderSummary(runReport({ groups: [group(failed({ rollbackDeploymentId: 'd-ROLLBACK1', rollback }))] }))
    const { page, shown } = expectReadable(md)
    const at = positions(page)
    expect(text(page.slice(at.diagnosis, page.indexOf('</p>', at.diagnosis)))).toBe(DIAGNOSIS)
    const story = page.indexOf(
      'Rolled back: rollback deployment d-ROLLBACK1 Succeeded (2/2 instances succeeded), so the last successful revision is back.'
    )
    expect(at.logTail).toBeLessThan(story)
    expect(story).toBeLessThan(at.firstTable)
    expect(shown).toHaveLength(2)
  })
})

describe('a 1,000-instance deployment, rendered', () => {
  const fleet = (): InstanceState[] =>
    Array.from({ length: 1000 }, (_, n) => {
      const id = `i-${String(n).padStart(17, '0')}`
      if (n % 100 === 42) return failingAt(id, 'AfterInstall', `[stderr]disk full on ${id}`)
      if (n >= 990)
        return {
          id,
          status: 'InProgress',
          events: instance(id).events.map((e, k) => (k < 3 ? e : { ...e, status: k === 3 ? 'InProgress' : 'Pending', endTime: undefined }))
        }
      return instance(id)
    })

  test('in sight: the first failure, 10 rows of what did not succeed; folded: all 1,000 and every event', () => {
    const instances = fleet()
    const r = result({
      status: 'Failed',
      timedOut: false,
      instances,
      failures: failuresOf(instances),
      overview: { Pending: 0, InProgress: 10, Succeeded: 980, Failed: 10, Skipped: 0, Ready: 0 },
      completeTime: new Date(T0 + 60_000)
    })
    const md = renderSummary(runReport({ groups: [group(r)] }))
    const { page, shown, folded } = expectReadable(md)
    const at = positions(page)
    expect(text(page.slice(at.diagnosis, page.indexOf('</p>', at.diagnosis)))).toBe(
      '❌ AfterInstall failed on i-00000000000000042: scripts/start.sh exited with code 1 (ScriptFailed)'
    )
    expect(at.logTail).toBeLessThan(at.firstTable)
    const stuck = shown.find(t => t.header.includes('Stopped at'))!
    expect(stuck.rows).toHaveLength(10)
    expect(stuck.rows.slice(0, 10).every(row => row[1] === '❌ Failed')).toBe(true)
    expect(text(visible(page))).toContain('…and 10 more that did not succeed (all of them below).')
    expect(folded.find(t => t.header[0] === 'Instance')?.rows).toHaveLength(1000)
    expect(folded.find(t => t.header[0] === 'Event')?.rows).toContainEqual([
      'AfterInstall',
      '980',
      '10',
      '0',
      '2.0s',
      '2.0s on i-00000000000000989'
    ])
    // The other nine failures are folded with their log tails.
    expect(page).toMatch(/<details><summary>9 more failed event\(s\), with their log tails<\/summary>/)
    expect(visible(page)).not.toContain('disk full on i-00000000000000142')
    expect(page).toContain('disk full on i-00000000000000142')
    // A job summary over 1 MiB is refused whole.
    expect(Buffer.byteLength(md)).toBeLessThan(512 * 1024)
  })

  test('past the size GitHub accepts, the folded matrix is cut, never the diagnosis', () => {
    const instances = fleet()
    const report = runReport({ groups: [group(result({ status: 'Failed', instances, failures: failuresOf(instances) }))] })
    const full = renderSummary(report)
    expect(renderSummaryWithin(report)).toBe(full)
    const cut = renderSummaryWithin(report, Buffer.byteLength(full) - 1)
    expect(Buffer.byteLength(cut)).toBeLessThan(Buffer.byteLength(full))
    const { page, folded } = expectReadable(cut)
    expect(folded.find(t => t.header[0] === 'Instance')?.rows).toHaveLength(200)
    expect(page).toContain('…and 800 more instances (see the log).')
    expect(text(page.slice(positions(page).diagnosis, page.indexOf('</p>', positions(page).diagnosis)))).toMatch(
      /^❌ AfterInstall failed on/
    )
  })

  test('the instances still running show the event they are in and for how long', () => {
    const instances = fleet().slice(990)
    const r = result({ status: 'InProgress', final: false, timedOut: true, completeTime: undefined, instances, failures: [] })
    const md = renderSummary(runReport({ groups: [group(r)], endedAt: T0 + 95_000 }))
    const { page, shown } = expectReadable(md)
    expect(page.indexOf('did not end within timeout-minutes')).toBeLessThan(positions(page).firstTable)
    expect(shown.find(t => t.header.includes('Stopped at'))?.rows[0]).toEqual([
      'i-00000000000000990',
      '⏳ InProgress',
      '⏳ Install',
      '89.0s so far'
    ])
  })
})

describe('every other summary gets the same treatment', () => {
  test('success: no diagnosis, the facts first with a real header, no instance table in sight', () => {
    const { page, shown, folded } = expectReadable(renderSummary(runReport()))
    expect(positions(page).logTail).toBe(-1)
    expect(shown.map(t => t.header)).toEqual([['Fact', 'Value']])
    expect(folded.map(t => t.rows.length)).toEqual([2])
  })

  test('several groups: each group’s diagnosis first, before any table', () => {
    const staging = failed({ deploymentId: 'd-STAGING01', group: 'staging' })
    staging.failures[0]!.logTail = '[stderr]staging tail'
    const report = runReport({
      settings: settings({ deploymentGroups: ['production', 'staging'] }),
      groups: [group(failed()), group(staging)]
    })
    const { page } = expectReadable(renderSummary(report))
    const first = page.indexOf('<table>')
    for (const line of [
      '❌ production: ApplicationStart failed on i-0bbb2222bbbb2222b',
      '[stderr]Error: listen EADDRINUSE',
      '❌ staging: ApplicationStart failed on i-0bbb2222bbbb2222b',
      '[stderr]staging tail'
    ]) {
      const found = text(page).indexOf(line)
      expect(found).toBeGreaterThan(-1)
      expect(page.indexOf(line.split(':')[0]!)).toBeLessThan(first)
    }
    expect(text(page).indexOf('❌ production')).toBeLessThan(text(page).indexOf('❌ staging'))
  })

  test('an error before any deployment: the error leads, the facts follow', () => {
    const report = runReport({ revision: undefined, groups: [], error: new Error('S3 said no') })
    const { page, shown } = expectReadable(renderSummary(report))
    expect(page.indexOf('❌ S3 said no')).toBeGreaterThan(-1)
    expect(page.indexOf('❌ S3 said no')).toBeLessThan(positions(page).firstTable)
    expect(shown.map(t => t.header)).toEqual([['Fact', 'Value']])
  })

  test('ECS: the failing hook function leads; task sets in sight, events folded', () => {
    const appspec: DeployedAppSpec = {
      path: 'deploy/appspec.yaml',
      content: 'version: 0.0\n',
      sha256: 'e'.repeat(64),
      checked: {
        platform: 'ECS',
        ecs: { taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42', containerName: 'web', containerPort: 8080 },
        lambda: undefined,
        hooks: [{ event: 'AfterAllowTraffic', function: 'Verify' }],
        warnings: []
      }
    }
    const at = (s: number): Date => new Date(T0 + s * 1000)
    const target: InstanceState = {
      id: 'main:web',
      status: 'Failed',
      events: [
        { name: 'Install', status: 'Succeeded', startTime: at(0), endTime: at(30), diagnostics: undefined },
        { name: 'AllowTraffic', status: 'Succeeded', startTime: at(30), endTime: at(330), diagnostics: undefined },
        {
          name: 'AfterAllowTraffic',
          status: 'Failed',
          startTime: at(330),
          endTime: at(331),
          diagnostics: {
            errorCode: 'UnknownError',
            scriptName: 'Verify',
            message: 'Verify reported Failed.',
            logTail: 'GET /health -> 503'
          }
        }
      ],
      traffic: {
        platform: 'ECS',
        seen: [0, 10, 100, 0],
        taskSets: [
          {
            id: 'ecs-svc/1234567890123456789',
            label: 'Blue',
            status: 'PRIMARY',
            trafficWeight: 100,
            desiredCount: 2,
            runningCount: 2,
            pendingCount: 0,
            targetGroup: 'web-tg-1'
          },
          {
            id: 'ecs-svc/9876543210987654321',
            label: 'Green',
            status: 'DRAINING',
            trafficWeight: 0,
            desiredCount: 2,
            runningCount: 0,
            pendingCount: 0,
            targetGroup: 'web-tg-2'
          }
        ]
      }
    }
    const r = result({
      computePlatform: 'ECS',
      status: 'Failed',
      instances: [target],
      failures: failuresOf([target]),
      overview: { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 1, Skipped: 0, Ready: 0 }
    })
    const md = renderSummary(runReport({ revision: undefined, appspec, computePlatform: 'ECS', groups: [group(r)] }))
    const { page, shown, folded } = expectReadable(md)
    const p = positions(page)
    expect(text(page.slice(p.diagnosis, page.indexOf('</p>', p.diagnosis)))).toBe(
      '❌ AfterAllowTraffic failed on main:web in hook function Verify (UnknownError): Verify reported Failed.'
    )
    expect(p.logTail).toBeLessThan(p.firstTable)
    expect(shown.map(t => t.header)).toEqual([
      ['Fact', 'Value'],
      ['Task set', 'Status', 'Traffic', 'Tasks running', 'Target group']
    ])
    expect(folded.map(t => t.header)).toEqual([['Lifecycle event', 'Status', 'Took']])
  })

  test('Lambda that succeeded: no diagnosis, the versions table in sight under a real header, the events folded', () => {
    const appspec: DeployedAppSpec = {
      path: 'appspec.json',
      content: '{}',
      sha256: 'f'.repeat(64),
      checked: {
        platform: 'Lambda',
        ecs: undefined,
        lambda: { name: 'orders', alias: 'live', currentVersion: '3', targetVersion: '4' },
        hooks: [],
        warnings: []
      }
    }
    const target: InstanceState = {
      id: 'orders:live',
      status: 'Succeeded',
      events: [
        { name: 'AllowTraffic', status: 'Succeeded', startTime: new Date(T0), endTime: new Date(T0 + 540_000), diagnostics: undefined }
      ],
      traffic: {
        platform: 'Lambda',
        functionName: 'orders',
        alias: 'live',
        currentVersion: '3',
        targetVersion: '4',
        targetVersionWeight: 100,
        seen: [10, 40, 70, 100]
      }
    }
    const r = result({
      computePlatform: 'Lambda',
      instances: [target],
      overview: { Pending: 0, InProgress: 0, Succeeded: 1, Failed: 0, Skipped: 0, Ready: 0 }
    })
    const { page, shown, folded } = expectReadable(
      renderSummary(runReport({ revision: undefined, appspec, computePlatform: 'Lambda', groups: [group(r)] }))
    )
    expect(positions(page).logTail).toBe(-1)
    expect(shown.map(t => t.header)).toEqual([
      ['Fact', 'Value'],
      ['Version', 'Role', 'Traffic']
    ])
    expect(folded.map(t => t.rows)).toEqual([[['AllowTraffic', '✅ Succeeded', '540.0s']]])
  })
})
