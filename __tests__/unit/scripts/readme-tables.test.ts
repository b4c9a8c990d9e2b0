import * as fs from 'node:fs'

const { renderTables, updateReadme } = await import('../../../scripts/readme-tables.mjs')

const actionYml = fs.readFileSync('action.yml', 'utf8')
const readme = fs.readFileSync('README.md', 'utf8')

test('the README inputs and outputs tables are the ones action.yml generates', () => {
  expect(updateReadme(readme, actionYml)).toBe(readme)
})

test('every input and output of action.yml has a row, and a renamed one would be caught', () => {
  const tables = renderTables(actionYml)
  for (const name of ['application-name', 'deployment-group', 's3-bucket', 'upload', 'github-environment'])
    expect(tables).toContain(`| \`${name}\` |`)
  for (const name of ['deployment-id', 'status', 'summary', 'deployments']) expect(tables).toContain(`| \`${name}\` |`)
  const renamed = actionYml.replace('  wait:\n', '  wait-for-it:\n')
  expect(updateReadme(readme, renamed)).not.toBe(readme)
})
