// What the README promises about itself: the project's two commands in its first lines, the full
// workflow exactly as examples/deploy.yml holds it, and links that lead somewhere (files that
// exist, headings that exist, as GitHub names their anchors).
import * as fs from 'node:fs'
import { fencedBlocks, readme } from './doc-sources.js'

const text = readme()

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const outside = markdown.replace(/^```[\s\S]*?^```/gm, '')
  return new Set(
    [...outside.matchAll(/^#{1,6} (.+)$/gm)].map(match => {
      const slug = (match[1] ?? '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/ /g, '-')
      const count = seen.get(slug) ?? 0
      seen.set(slug, count + 1)
      return count === 0 ? slug : `${slug}-${count}`
    })
  )
}

test('the two commands stay in the first lines, exactly as written', () => {
  const head = text.split('\n').slice(0, 8).join('\n')
  expect(head).toContain('\nnpm ci && npm run demo ')
  expect(head).toContain('\nnpm ci && npm test ')
})

test('the full workflow in the README is examples/deploy.yml, as it is', () => {
  const example = fs.readFileSync('examples/deploy.yml', 'utf8').trimEnd()
  expect(fencedBlocks(text, 'yaml').map(block => block.text.trimEnd())).toContain(example)
})

test('every relative link names a file that exists, every #anchor a heading', () => {
  const targets = [...text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/\]\(([^)\s]+)\)/g)].map(m => m[1] ?? '')
  const local = targets.filter(target => !/^[a-z]+:/.test(target))
  expect(local.length).toBeGreaterThan(10)
  const known = anchors(text)
  const broken = local.filter(target => (target.startsWith('#') ? !known.has(target.slice(1)) : !fs.existsSync(target.split('#')[0] ?? '')))
  expect(broken).toEqual([])
  expect(known.has('the-workflows-role')).toBe(true)
  expect(anchors('## A\n## A\n')).toEqual(new Set(['a', 'a-1']))
})
