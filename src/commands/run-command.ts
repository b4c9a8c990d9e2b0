import { runCheck } from './check.js'
import type { CommandContext } from './context.js'
import { runOnDeployment } from './existing-deployment.js'

/** The commands other than deploy and register, which share deploy's packaging path (pipeline.ts). */
export async function runCommand(ctx: CommandContext): Promise<void> {
  switch (ctx.settings.command) {
    case 'check':
      return runCheck(ctx)
    case 'watch':
    case 'continue':
    case 'stop':
      return runOnDeployment(ctx)
    case 'deploy':
    case 'register':
      throw new Error(`runCommand: ${ctx.settings.command} runs in the pipeline`)
  }
}
