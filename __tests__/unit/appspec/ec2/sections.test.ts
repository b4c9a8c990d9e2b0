/**
 * The files and permissions sections, top-level keys, and the agent's own readings (version,
 * timeouts, mode), each rule with a real tree, collected as the action collects it.
 */
import { YamlLines } from '../../../../src/appspec/yaml-lines.js'
import { checkAppSpec, type AppSpec } from '../../../../src/appspec/ec2/check-appspec.js'
import { walkSourceTree } from '../../../../src/source/walk-tree.js'
import { ActionError } from '../../../../src/core/errors.js'
import { buildTree, TempDirs, type Node } from '../../../helpers/tree.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

const TREE: Record<string, Node> = {
  'scripts/start.sh': { content: '#!/bin/sh\n', mode: 0o755 },
  'scripts/stop.ps1': 'Stop-Service app',
  'config/app.conf': 'port=8080',
  'web/index.html': '<html></html>',
  'node_modules/dep/index.js': 'x'
}

async function check(appspec: string, exclude: string[] = [], extra: Record<string, Node> = {}): Promise<AppSpec> {
  const root = buildTree(temp.make(), { ...TREE, ...extra, 'appspec.yml': appspec })
  return checkAppSpec(root, await walkSourceTree(root, exclude), exclude)
}

async function checkError(appspec: string, exclude: string[] = [], extra: Record<string, Node> = {}): Promise<ActionError> {
  const error: unknown = await check(appspec, exclude, extra).then(
    spec => new Error(`expected an ActionError, got ${JSON.stringify(spec)}`),
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}

const linux = (body: string): string => `version: 0.0\nos: linux\n${body}`
const windows = (body: string): string => `version: 0.0\nos: windows\n${body}`

describe('files', () => {
  test('valid entries: the whole bundle, a directory, a file, with a compact list', async () => {
    const spec = await check(
      linux(
        [
          'files:',
          '- source: /',
          '  destination: /srv/app',
          '- source: config',
          '  destination: /etc/app',
          '- source: ./web/index.html',
          '  destination: /var/www/html',
          'file_exists_behavior: OVERWRITE',
          ''
        ].join('\n')
      )
    )
    expect(spec.warnings).toEqual([])
  })

  test('windows: a backslash source and drive-letter destinations', async () => {
    const spec = await check(
      windows('files:\n  - source: \\\n    destination: C:\\inetpub\\app\n  - source: config\\app.conf\n    destination: D:/conf\n')
    )
    expect(spec.os).toBe('windows')
    expect(spec.warnings).toEqual([])
  })

  const cases: Array<[string, string, RegExp, RegExp]> = [
    [
      'files as a mapping',
      'files:\n  source: /\n  destination: /srv\n',
      /^appspec\.yml line 3: files must be a list of/,
      /Fix: see the AppSpec "files" section\./
    ],
    [
      'an entry that is a string',
      'files:\n  - /srv/app\n',
      /^appspec\.yml line 4: each files entry must be a mapping with source and destination\./,
      /Fix: write `- source: \/`/
    ],
    ['no source', 'files:\n  - destination: /srv/app\n', /^appspec\.yml line 4: a files entry has no source\./, /Fix: add `source:`/],
    [
      'no destination',
      'files:\n  - source: /\n    destination: /srv\n  - source: config\n',
      /^appspec\.yml line 6: files entry 'config' has no destination\./,
      /Fix: add `destination:` with the absolute path/
    ],
    [
      'a relative destination',
      'files:\n  - source: /\n    destination: srv/app\n',
      /^appspec\.yml line 5: files destination 'srv\/app' is not an absolute path on the instance\./,
      /Fix: write a full path such as \/var\/www\/app\./
    ],
    [
      'a source missing from the bundle',
      'files:\n  - source: /\n    destination: /srv\n  - source: dist\n    destination: /srv/dist\n',
      /^appspec\.yml line 6: files source 'dist' is not in the bundle\./,
      /Fix: add dist to source-dir/
    ],
    [
      'a source outside the bundle',
      'files:\n  - source: ../secrets\n    destination: /srv\n',
      /^appspec\.yml line 4: files source '\.\.\/secrets' points outside the bundle\./,
      /Fix: use a path relative to the bundle root/
    ]
  ]
  test.each(cases)('%s', async (_why, body, message, fix) => {
    const error = await checkError(linux(body))
    expect(error.message).toMatch(message)
    expect(error.describe()).toMatch(fix)
  })

  test('a windows destination without a drive letter', async () => {
    const error = await checkError(windows('files:\n  - source: /\n    destination: /inetpub\n'))
    expect(error.describe()).toBe(
      "appspec.yml line 5: files destination '/inetpub' is not an absolute path on the instance. Fix: write a full path such as C:\\inetpub\\app."
    )
  })

  test('a source left out by exclude names the pattern and the exclude input', async () => {
    const error = await checkError(linux('files:\n  - source: config/app.conf\n    destination: /etc/app\n'), ['*.conf'])
    expect(error.input).toBe('exclude')
    expect(error.describe()).toBe(
      "Input 'exclude': appspec.yml line 4: files source 'config/app.conf' is not in the bundle: it is excluded by '*.conf'. Fix: take '*.conf' out of exclude, or add '!config/app.conf' after it."
    )
  })

  test('a source inside node_modules/ says node_modules/ is left out by default', async () => {
    const error = await checkError(linux('files:\n  - source: node_modules/dep\n    destination: /srv/dep\n'))
    expect(error.describe()).toMatch(
      /it is excluded by 'node_modules\/'\. Fix: add '!node_modules\/' to exclude: node_modules\/ is left out by default\.$/
    )
  })

  test('an unknown key in an entry is a warning that suggests the right one', async () => {
    const spec = await check(linux('files:\n  - source: /\n    destiantion: /srv\n    destination: /srv\n'))
    expect(spec.warnings).toEqual([
      "appspec.yml line 5: 'destiantion' is not a files key; the CodeDeploy agent ignores it (did you mean 'destination'?)."
    ])
  })

  test('file_exists_behavior must be one the agent knows', async () => {
    const error = await checkError(linux('files:\n  - source: /\n    destination: /srv\nfile_exists_behavior: REPLACE\n'))
    expect(error.describe()).toBe('appspec.yml line 6: file_exists_behavior is "REPLACE". Fix: use one of: DISALLOW, OVERWRITE, RETAIN.')
  })
})

describe('permissions', () => {
  const FULL = linux(
    [
      'files:',
      '  - source: /',
      '    destination: /srv/app',
      'permissions:',
      '  - object: /srv/app',
      '    pattern: "*.sh"',
      '    except: [/srv/app/keep.sh]',
      '    owner: www-data',
      '    group: 33',
      '    mode: 755',
      '    acls:',
      '      - u:deploy:rwx',
      '      - d:g:ops:r-x',
      '      - m::rw',
      '      - default:user:bob:7',
      '    context:',
      '      type: httpd_sys_content_t',
      '      range: s0-s0:c0.c1023',
      '    type:',
      '      - file',
      '  - object: /srv/app/config',
      '    mode: "0640"',
      '    type: [directory]',
      ''
    ].join('\n')
  )

  test('a section using every key the agent knows is accepted without warnings', async () => {
    const spec = await check(FULL)
    expect(spec.warnings).toEqual([])
  })

  const cases: Array<[string, string, string]> = [
    [
      'permissions as a mapping',
      'permissions:\n  object: /srv\n',
      'appspec.yml line 3: permissions must be a list of `- object: ...` entries. Fix: see the AppSpec "permissions" section.'
    ],
    [
      'an entry without object',
      'permissions:\n  - owner: root\n',
      'appspec.yml line 4: a permissions entry has no object. Fix: add `object:` with the installed path it applies to.'
    ],
    [
      'a relative object',
      'permissions:\n  - object: srv/app\n',
      "appspec.yml line 4: permissions for 'srv/app': object is not an absolute path on the instance. Fix: use the installed path, e.g. the destination of a files entry."
    ],
    [
      'type as a string',
      'permissions:\n  - object: /srv\n    type: file\n',
      "appspec.yml line 5: permissions for '/srv': type must be a list of file and/or directory. Fix: write e.g. `type:` then `- file`."
    ],
    [
      'an unknown type',
      'permissions:\n  - object: /srv\n    type: [socket]\n',
      "appspec.yml line 5: permissions for '/srv': type must be a list of file and/or directory. Fix: write e.g. `type:` then `- file`."
    ],
    [
      'a symbolic mode',
      'permissions:\n  - object: /srv\n    mode: u+x\n',
      `appspec.yml line 5: permissions for '/srv': mode "u+x" is not 1 to 4 octal digits. Fix: write a chmod number such as 755 or "0644" (symbols like u+x are not supported).`
    ],
    [
      'a five-digit mode',
      'permissions:\n  - object: /srv\n    mode: 12345\n',
      'appspec.yml line 5: permissions for \'/srv\': mode 12345 is not 1 to 4 octal digits. Fix: write a chmod number such as 755 or "0644" (symbols like u+x are not supported).'
    ],
    [
      'an unquoted mode with a leading zero',
      'permissions:\n  - object: /srv\n    mode: 0644\n',
      'appspec.yml line 5: permissions for \'/srv\': mode 0644 is not quoted; the agent reads a leading 0 as octal and would apply mode 420. Fix: write mode: "0644" or mode: 644.'
    ],
    [
      'an owner that is a list',
      'permissions:\n  - object: /srv\n    owner: [root]\n',
      "appspec.yml line 5: permissions for '/srv': owner must be a user name or id. Fix: write e.g. owner: www-data."
    ],
    [
      'except as a string',
      'permissions:\n  - object: /srv\n    except: keep.sh\n',
      "appspec.yml line 5: permissions for '/srv': except must be a list of strings. Fix: write a list, e.g. except: [secret.txt]."
    ],
    [
      'an acl base entry',
      'permissions:\n  - object: /srv\n    acls:\n      - u::rw\n',
      "appspec.yml line 5: permissions for '/srv': acl entry 'u::rw' sets a base entry, which the agent takes from mode. Fix: write [d[efault]:][u[ser]|g[roup]|m[ask]|o[ther]:][name]:perms, e.g. u:www-data:rwx; set the base entries with mode."
    ],
    [
      'an acl with an unknown type',
      'permissions:\n  - object: /srv\n    acls: ["x:bob:rw"]\n',
      "appspec.yml line 5: permissions for '/srv': acl entry 'x:bob:rw' has an unknown type 'x'. Fix: write [d[efault]:][u[ser]|g[roup]|m[ask]|o[ther]:][name]:perms, e.g. u:www-data:rwx; set the base entries with mode."
    ],
    [
      'an acl with a bad permission',
      'permissions:\n  - object: /srv\n    acls: ["u:bob:rwz"]\n',
      "appspec.yml line 5: permissions for '/srv': acl entry 'u:bob:rwz' has permissions 'rwz' (use r, w, x and -, or one octal digit). Fix: write [d[efault]:][u[ser]|g[roup]|m[ask]|o[ther]:][name]:perms, e.g. u:www-data:rwx; set the base entries with mode."
    ],
    [
      'an acl of one part',
      'permissions:\n  - object: /srv\n    acls: [bob]\n',
      "appspec.yml line 5: permissions for '/srv': acl entry 'bob' needs 2 to 4 parts separated by colons. Fix: write [d[efault]:][u[ser]|g[roup]|m[ask]|o[ther]:][name]:perms, e.g. u:www-data:rwx; set the base entries with mode."
    ],
    [
      'a named other entry',
      'permissions:\n  - object: /srv\n    acls: ["o:bob:r"]\n',
      "appspec.yml line 5: permissions for '/srv': acl entry 'o:bob:r' names someone, which a other entry cannot. Fix: write [d[efault]:][u[ser]|g[roup]|m[ask]|o[ther]:][name]:perms, e.g. u:www-data:rwx; set the base entries with mode."
    ],
    [
      'a context without type',
      'permissions:\n  - object: /srv\n    context:\n      name: system_u\n',
      "appspec.yml line 5: permissions for '/srv': context needs a type (an SELinux type such as httpd_sys_content_t). Fix: add `type:` under context."
    ],
    [
      'a context with a bad range',
      'permissions:\n  - object: /srv\n    context:\n      type: httpd_t\n      range: high\n',
      "appspec.yml line 5: permissions for '/srv': context range 'high' is not an SELinux range. Fix: write s<n>[-s<n>][:c<n>[.c<n>],...], e.g. s0-s0:c0.c1023."
    ]
  ]
  test.each(cases)('%s', async (_why, body, message) => {
    const error = await checkError(linux(body))
    expect(error.describe()).toBe(message)
  })

  test('on windows the whole section is refused, as the agent does', async () => {
    const error = await checkError(windows('permissions:\n  - object: C:\\app\n'))
    expect(error.describe()).toBe(
      'appspec.yml line 3: permissions only apply to Linux instances; the agent fails a Windows deployment that has them. Fix: remove the permissions section, or set os: linux.'
    )
  })

  test('the second entry is reported at its own lines', async () => {
    const error = await checkError(
      linux('permissions:\n  - object: /srv\n    mode: 755\n  - object: /etc/app\n    owner: root\n    mode: 9\n')
    )
    expect(error.message).toBe("appspec.yml line 8: permissions for '/etc/app': mode 9 is not 1 to 4 octal digits.")
  })

  test('a misspelt key is a warning with a suggestion, on its line', async () => {
    const spec = await check(linux('permissions:\n  - object: /srv\n    onwer: root\n'))
    expect(spec.warnings).toEqual([
      "appspec.yml line 5: 'onwer' is not a permissions key; the CodeDeploy agent ignores it (did you mean 'owner'?)."
    ])
  })
})

describe("top level and the agent's readings", () => {
  test('a quoted "0.0" version fails: the agent compares it with the number 0.0', async () => {
    const error = await checkError('os: linux\nversion: "0.0"\n')
    expect(error.describe()).toBe(
      'appspec.yml line 2: version is the string "0.0"; the CodeDeploy agent compares it with the number 0.0 and fails the deployment. Fix: write `version: 0.0`, without quotes.'
    )
  })

  test('unknown top-level keys are warnings, with a suggestion when one is close', async () => {
    const spec = await check(linux('hook:\n  AfterInstall:\n    - location: scripts/start.sh\nResources: []\n'))
    expect(spec.warnings).toEqual([
      "appspec.yml line 3: 'hook' is not an AppSpec key for EC2/on-premises deployments; the CodeDeploy agent ignores it (did you mean 'hooks'?).",
      "appspec.yml line 6: 'Resources' is not an AppSpec key for EC2/on-premises deployments; the CodeDeploy agent ignores it."
    ])
  })

  test('a timeout written as digits in quotes is read as the agent reads it', async () => {
    const spec = await check(linux('hooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: "300"\n'))
    expect(spec.hooks).toEqual([{ event: 'ApplicationStart', location: 'scripts/start.sh', timeout: 300, runas: undefined }])
  })

  test('timeouts of one event adding up past 3600 s are a warning: the agent stops the event then', async () => {
    const spec = await check(
      linux(
        'hooks:\n  AfterInstall:\n    - location: scripts/start.sh\n      timeout: 3000\n    - location: /scripts/start.sh\n      timeout: 900\n'
      )
    )
    expect(spec.warnings).toEqual([
      "appspec.yml line 4: the AfterInstall scripts' timeouts add up to 3900 s, but the agent stops a lifecycle event after 3600 s."
    ])
  })

  test.each(['Start', 'End', 'AllowTraffic'])('%s is reserved for the agent', async event => {
    const error = await checkError(linux(`hooks:\n  ${event}:\n    - location: scripts/start.sh\n`))
    expect(error.message).toBe(`appspec.yml line 4: ${event} is run by the CodeDeploy agent itself; scripts cannot be attached to it.`)
  })

  test('a hook location that is a directory', async () => {
    const error = await checkError(linux('hooks:\n  AfterInstall:\n    - location: scripts\n'))
    expect(error.describe()).toBe(
      "appspec.yml line 5: AfterInstall script 'scripts' is a directory, not a file. Fix: point it at a file in the bundle."
    )
  })

  test('a hook location that climbs out of the bundle', async () => {
    const error = await checkError(linux('hooks:\n  AfterInstall:\n    - location: ../deploy.sh\n'))
    expect(error.message).toBe("appspec.yml line 5: AfterInstall script '../deploy.sh' points outside the bundle.")
  })

  test('a runas that is not a name', async () => {
    const error = await checkError(linux('hooks:\n  AfterInstall:\n    - location: scripts/start.sh\n      runas: [root]\n'))
    expect(error.message).toBe('appspec.yml line 6: runas of scripts/start.sh must be a user name.')
  })

  test('a hook script in node_modules/ points at the default exclusion', async () => {
    const error = await checkError(linux('hooks:\n  AfterInstall:\n    - location: node_modules/dep/index.js\n'))
    expect(error.input).toBe('exclude')
    expect(error.describe()).toMatch(
      /AfterInstall script 'node_modules\/dep\/index\.js' is not in the bundle: it is excluded by 'node_modules\/'\. Fix: add '!node_modules\/' to exclude/
    )
  })

  test('appspec.yml excluded by a pattern names the pattern', async () => {
    const error = await checkError(linux(''), ['*.yml'])
    expect(error.describe()).toBe(
      "Input 'exclude': appspec.yml is excluded from the bundle by '*.yml'. Fix: remove the pattern that matches appspec.yml."
    )
  })

  test('appspec.yaml next to appspec.yml is a warning: the agent only reads appspec.yml', async () => {
    const spec = await check(linux(''), [], { 'appspec.yaml': 'version: 0.0\n' })
    expect(spec.warnings).toEqual([
      'appspec.yaml is bundled too, but the CodeDeploy agent only reads appspec.yml: delete appspec.yaml to avoid confusion.'
    ])
  })

  test('appspec.yml that is a directory', async () => {
    const root = buildTree(temp.make(), { 'appspec.yml/x': 'x' })
    const entries = await walkSourceTree(root, [])
    expect(() => checkAppSpec(root, entries)).toThrow(ActionError)
    expect(() => checkAppSpec(root, entries)).toThrow(/^appspec\.yml at the root of .* is a directory\.$/)
  })

  test('every bad appspec above gets a message of its own', async () => {
    const bodies = [
      'files:\n  - source: nope\n    destination: /srv\n',
      'files:\n  - source: /\n    destination: srv\n',
      'permissions:\n  - object: srv\n',
      'permissions:\n  - object: /srv\n    mode: 0755\n',
      'hooks:\n  Install:\n    - location: scripts/start.sh\n',
      'hooks:\n  AfterInstall:\n    - location: scripts/nope.sh\n',
      'file_exists_behavior: KEEP\n'
    ]
    const messages = await Promise.all(bodies.map(async body => (await checkError(linux(body))).describe()))
    expect(new Set(messages).size).toBe(bodies.length)
  })
})

describe('YamlLines: where a key sits', () => {
  const text = [
    '# hooks: in a comment', // 1
    'version: 0.0', // 2
    'hooks:', // 3
    '  BeforeInstall:', // 4
    '    - location: a.sh', // 5
    '      timeout: 10', // 6
    '    - location: b.sh', // 7
    '      # timeout: 1', // 8
    '      timeout: 20', // 9
    '  Install: []', // 10
    'files:', // 11
    '- source: /', // 12
    '  destination: /srv', // 13
    'permissions: [{ object: /srv }]' // 14
  ].join('\n')
  const lines = new YamlLines(text)
  const root = lines.root

  test('top-level keys, ignoring comments', () => {
    expect(lines.lineOf(lines.key(root, 'hooks'))).toBe(3)
    expect(lines.lineOf(lines.key(root, 'files'))).toBe(11)
    expect(lines.key(root, 'os')).toBeUndefined()
  })

  test('nested keys and list items, each at its own line', () => {
    const hooks = lines.key(root, 'hooks')!
    expect(lines.lineOf(lines.key(hooks, 'Install'))).toBe(10)
    const items = lines.items(lines.key(hooks, 'BeforeInstall')!)
    expect(items.map(i => lines.lineOf(i))).toEqual([5, 7])
    expect(items.map(i => lines.lineOf(lines.key(i, 'timeout')))).toEqual([6, 9])
    expect(lines.valueText(lines.key(items[1]!, 'timeout'))).toBe('20')
  })

  test('a compact list under a key at the same indentation', () => {
    const items = lines.items(lines.key(root, 'files')!)
    expect(items.map(i => lines.lineOf(lines.key(i, 'destination')))).toEqual([13])
  })

  test('flow style has no lines inside: the caller falls back to the key', () => {
    const permissions = lines.key(root, 'permissions')!
    expect(lines.items(permissions)).toEqual([])
    expect(lines.valueText(permissions)).toBe('[{ object: /srv }]')
  })
})
