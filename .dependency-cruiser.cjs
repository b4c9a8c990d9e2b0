// The dependency rule of src/, checked by `npm run lint:deps` (part of `npm run lint` and of
// `npm run build`, so a build fails on a cycle or a backward import):
//
//   core <- aws <- inputs <- source <- appspec <- bundle <- upload <- deploy <- watch <- github <- report <- commands <- pipeline/main
//
// A folder may import from the folders to its left (their types or their code), never from one to
// its right; core imports nothing of ours. No cycles anywhere, not even between files of one folder.
const LAYERS = ['core', 'aws', 'inputs', 'source', 'appspec', 'bundle', 'upload', 'deploy', 'watch', 'github', 'report', 'commands']
const TOP = '^src/[^/]+[.]ts$' // index.ts, main.ts, pipeline.ts

const later = LAYERS.map((layer, i) => ({
  name: `${layer}-imports-a-later-stage`,
  comment: `src/${layer}/ may import only from ${LAYERS.slice(0, i + 1).join(', ')}: a stage never depends on a later one.`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: [...LAYERS.slice(i + 1).map(l => `^src/${l}/`), TOP] }
}))

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle, through types or code: move what both sides need into a module of its own.',
      severity: 'error',
      from: {},
      to: { circular: true }
    },
    ...later,
    {
      name: 'appspec-ec2-and-ecs-lambda-apart',
      comment: 'The EC2 appspec.yml checks and the ECS/Lambda AppSpec content share only src/appspec/*.ts.',
      severity: 'error',
      from: { path: '^src/appspec/(ec2|ecs-lambda)/' },
      to: { path: '^src/appspec/(ec2|ecs-lambda)/', pathNot: '^src/appspec/$1/' }
    },
    {
      name: 'zip-and-tar-apart',
      comment: 'The zip and tar writers share only src/bundle/*.ts.',
      severity: 'error',
      from: { path: '^src/bundle/(zip|tar)/' },
      to: { path: '^src/bundle/(zip|tar)/', pathNot: '^src/bundle/$1/' }
    },
    {
      name: 'src-knows-no-tests',
      comment: 'Nothing in src/ knows about tests or the local test bed.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(__tests__|testbed|bench|scripts)/' }
    },
    {
      name: 'actions-core-only-in-main-and-report',
      comment: 'Only main.ts and the report code talk to @actions/core; stages log through core/deps.ts Log.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/main[.]ts$', '^src/report/'] },
      to: { path: 'node_modules/@actions/core/' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs']
    }
  }
}
