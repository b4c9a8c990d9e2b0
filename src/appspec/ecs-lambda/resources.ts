import { isRecord, member, nonEmptyString, positiveInteger, shown, type AppSpecDoc, type DocPath } from '../doc.js'

export type ContentPlatform = 'ECS' | 'Lambda'

export interface EcsResource {
  taskDefinition: string
  containerName: string
  containerPort: number
}

export interface LambdaResource {
  name: string
  alias: string
  currentVersion: string
  targetVersion: string
}

export interface Hook {
  event: string
  /** The Lambda function CodeDeploy invokes for the event. */
  function: string
}

/** An ECS or Lambda AppSpec that passed every check the action can make without deploying it. */
export interface CheckedAppSpec {
  platform: ContentPlatform
  ecs: EcsResource | undefined
  lambda: LambdaResource | undefined
  hooks: Hook[]
  warnings: string[]
}

/** The lifecycle events a hook function can be attached to, per platform, in lifecycle order. */
export const HOOK_EVENTS: Record<ContentPlatform, readonly string[]> = {
  ECS: ['BeforeInstall', 'AfterInstall', 'AfterAllowTestTraffic', 'BeforeAllowTraffic', 'AfterAllowTraffic'],
  Lambda: ['BeforeAllowTraffic', 'AfterAllowTraffic']
}
/** Events CodeDeploy runs itself: no hook can be attached to them. */
const RUN_BY_CODEDEPLOY: Record<ContentPlatform, readonly string[]> = {
  ECS: ['Install', 'AllowTestTraffic', 'AllowTraffic'],
  Lambda: ['AllowTraffic']
}
/** A task definition ARN, `family` or `family:revision`, as ECS accepts for a task set. */
const TASK_DEFINITION = /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}(:\d+)?|[A-Za-z0-9_-]{1,255}(:\d+)?)$/
const ECS_EXAMPLE = 'examples/ecs-appspec.yaml'
const LAMBDA_EXAMPLE = 'examples/lambda-appspec.yaml'

/** The resource and hooks, checked for `platform` the way CodeDeploy reads them. */
export function checkResource(doc: AppSpecDoc, platform: ContentPlatform): CheckedAppSpec {
  const [resourcesKey, resources] = member(doc.root, 'Resources') as [string, Array<Record<string, unknown>>]
  const resource = resources[0] ?? {}
  const [name, body] = Object.entries(resource)[0] ?? ['', undefined]
  const at: DocPath = [resourcesKey, 0, name]
  const warnings: string[] = []
  const checked: CheckedAppSpec = { platform, ecs: undefined, lambda: undefined, hooks: [], warnings }
  if (platform === 'ECS') {
    if (name.toLowerCase() !== 'targetservice') {
      doc.fail(
        `the ECS resource is named '${name}'; CodeDeploy looks for TargetService.`,
        `name it TargetService (see ${ECS_EXAMPLE}).`,
        at
      )
    }
    checked.ecs = ecsResource(doc, body, at)
  } else {
    checked.lambda = lambdaResource(doc, name, body, at, warnings)
  }
  checked.hooks = hooks(doc, platform)
  return checked
}

function properties(doc: AppSpecDoc, body: unknown, at: DocPath, type: string, example: string): [DocPath, Record<string, unknown>] {
  if (!isRecord(body)) doc.fail(`resource '${String(at.at(-1))}' must be a mapping with Type and Properties.`, `see ${example}.`, at)
  const typeEntry = member(body, 'Type')
  if (typeEntry?.[1] !== type) {
    doc.fail(
      `resource '${String(at.at(-1))}' has Type ${shown(typeEntry?.[1])}; it must be ${type}.`,
      `write \`Type: ${type}\`.`,
      typeEntry ? [...at, typeEntry[0]] : at
    )
  }
  const [key, props] = member(body, 'Properties') ?? ['Properties', undefined]
  if (!isRecord(props)) doc.fail(`resource '${String(at.at(-1))}' has no Properties.`, `add Properties (see ${example}).`, at)
  return [[...at, key], props]
}

function ecsResource(doc: AppSpecDoc, body: unknown, at: DocPath): EcsResource {
  const [propsAt, props] = properties(doc, body, at, 'AWS::ECS::Service', ECS_EXAMPLE)
  const [tdKey, taskDefinition] = member(props, 'TaskDefinition') ?? ['TaskDefinition', undefined]
  if (!nonEmptyString(taskDefinition)) {
    doc.fail(
      `TaskDefinition is ${shown(taskDefinition)}.`,
      'set it to the ARN of the task definition to deploy, e.g. `TaskDefinition: <TASK_DEFINITION>` filled from appspec-vars.',
      propsAt
    )
  }
  if (!TASK_DEFINITION.test(taskDefinition.trim())) {
    doc.fail(
      `TaskDefinition '${taskDefinition}' is not a task definition ARN (nor family:revision), so ECS cannot create the replacement task ` +
        `set from it.`,
      'use the ARN that registering the task definition returned (arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>), ' +
        'e.g. through a <TASK_DEFINITION> placeholder and appspec-vars.',
      [...propsAt, tdKey]
    )
  }
  const [lbKey, lb] = member(props, 'LoadBalancerInfo') ?? ['LoadBalancerInfo', undefined]
  if (!isRecord(lb)) {
    doc.fail(
      'LoadBalancerInfo is missing: CodeDeploy needs the container and port the load balancer sends traffic to.',
      'add `LoadBalancerInfo:` with `ContainerName` and `ContainerPort` under Properties.',
      propsAt
    )
  }
  const containerName = member(lb, 'ContainerName')?.[1]
  if (!nonEmptyString(containerName)) {
    doc.fail(
      `LoadBalancerInfo.ContainerName is ${shown(containerName)}.`,
      'name the container of the task definition that receives traffic.',
      [...propsAt, lbKey]
    )
  }
  const [portKey, portValue] = member(lb, 'ContainerPort') ?? ['ContainerPort', undefined]
  const port = Number(positiveInteger(portValue))
  if (!(port >= 1 && port <= 65535)) {
    doc.fail(
      `LoadBalancerInfo.ContainerPort is ${shown(portValue)}; it must be a port number from 1 to 65535.`,
      'use the container port the load balancer target group sends traffic to, e.g. `ContainerPort: 8080`.',
      [...propsAt, lbKey, portKey]
    )
  }
  return { taskDefinition: taskDefinition.trim(), containerName, containerPort: port }
}

function lambdaResource(doc: AppSpecDoc, name: string, body: unknown, at: DocPath, warnings: string[]): LambdaResource {
  const [propsAt, props] = properties(doc, body, at, 'AWS::Lambda::Function', LAMBDA_EXAMPLE)
  const text: Record<string, string> = {}
  for (const key of ['Name', 'Alias']) {
    const value = member(props, key)?.[1]
    if (!nonEmptyString(value))
      doc.fail(
        `${key} is ${shown(value)}.`,
        key === 'Name'
          ? 'set Name to the Lambda function to deploy.'
          : 'set Alias to the alias whose traffic moves to the new version, e.g. `Alias: live`.',
        propsAt
      )
    text[key] = value.trim()
  }
  for (const key of ['CurrentVersion', 'TargetVersion']) {
    const [found, value] = member(props, key) ?? [key, undefined]
    const version = positiveInteger(value)
    if (!version) {
      const latest = value === '$LATEST'
      doc.fail(
        `${key} is ${shown(value)}; it must be a published version number.`,
        latest
          ? 'publish a version (`aws lambda publish-version`) and use its number: CodeDeploy shifts an alias between published ' +
              'versions, never $LATEST.'
          : `set it from the version ` +
              `numbers, e.g. \`${key}: <${key === 'CurrentVersion' ? 'CURRENT_VERSION' : 'TARGET_VERSION'}>\` filled from appspec-vars.`,
        member(props, key) ? [...propsAt, found] : propsAt
      )
    }
    text[key] = version
  }
  const lambda = {
    name: text['Name']!,
    alias: text['Alias']!,
    currentVersion: text['CurrentVersion']!,
    targetVersion: text['TargetVersion']!
  }
  if (lambda.currentVersion === lambda.targetVersion) {
    warnings.push(
      `${doc.name}: CurrentVersion and TargetVersion of '${name}' are both ${lambda.currentVersion}: the deployment moves no traffic.`
    )
  }
  return lambda
}

function hooks(doc: AppSpecDoc, platform: ContentPlatform): Hook[] {
  const [key, value] = member(doc.root, 'Hooks') ?? ['Hooks', undefined]
  if (value === undefined || value === null) return []
  const allowed = HOOK_EVENTS[platform]
  if (!Array.isArray(value)) {
    doc.fail(
      'Hooks must be a list of `- <event>: <Lambda function>` items.',
      `write each hook as a list item, e.g. \`- ${allowed.at(-1)}: ValidateFunction\`.`,
      [key]
    )
  }
  const found: Hook[] = []
  value.forEach((item: unknown, i: number) => {
    if (!isRecord(item))
      doc.fail(`hook ${i + 1} is not \`<event>: <Lambda function>\`.`, `write it as \`- ${allowed.at(-1)}: ValidateFunction\`.`, [key, i])
    for (const [event, fn] of Object.entries(item)) {
      if (!allowed.includes(event)) {
        const reason = RUN_BY_CODEDEPLOY[platform].includes(event)
          ? `${event} is run by CodeDeploy itself; no hook can be attached to it.`
          : `'${event}' is not a lifecycle event of ${platform === 'ECS' ? 'an ECS' : 'a Lambda'} deployment.`
        doc.fail(reason, `use one of ${allowed.join(', ')}.`, [key, i, event])
      }
      if (!nonEmptyString(fn) || /\s/.test(fn.trim())) {
        doc.fail(
          `the ${event} hook names ${shown(fn)}, not a Lambda function.`,
          `write the function's name or ARN, e.g. \`- ${event}: ${event}Check\`.`,
          [key, i, event]
        )
      }
      if (found.some(h => h.event === event))
        doc.fail(
          `${event} has more than one hook; CodeDeploy runs one function per event.`,
          'keep one function per event (one function can run several checks).',
          [key, i, event]
        )
      found.push({ event, function: fn.trim() })
    }
  })
  return found.sort((a, b) => allowed.indexOf(a.event) - allowed.indexOf(b.event))
}

/** One line for the log: what is deployed, and the hooks that will run. */
export function describeAppSpec(a: CheckedAppSpec): string {
  const hooks = a.hooks.length ? `; hooks ${a.hooks.map(h => `${h.event} → ${h.function}`).join(', ')}` : '; no hooks'
  if (a.ecs) return `ECS task definition ${a.ecs.taskDefinition}, container ${a.ecs.containerName}:${a.ecs.containerPort}${hooks}`
  const l = a.lambda
  return l
    ? `Lambda function ${l.name} alias ${l.alias}, version ${l.currentVersion} → ${l.targetVersion}${hooks}`
    : `${a.platform}${hooks}`
}
