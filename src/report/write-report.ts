import * as core from '@actions/core'
import { computeOutputs } from './outputs.js'
import type { RunReport } from './run-report.js'
import { renderSummaryWithin } from './summary.js'

/** Sets every output and writes the job summary. Never throws: the report must not hide the cause. */
export async function writeReport(report: RunReport): Promise<void> {
  for (const [name, value] of Object.entries(computeOutputs(report))) core.setOutput(name, value)
  if (!process.env['GITHUB_STEP_SUMMARY']) return
  try {
    await core.summary.addRaw(renderSummaryWithin(report), true).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${String(error)}`)
  }
}
