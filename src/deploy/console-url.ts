/**
 * The console of each partition that has a public one, by the region's prefix: China
 * (console.amazonaws.cn), AWS GovCloud (US) (console.amazonaws-us-gov.com) and the AWS European
 * Sovereign Cloud (<region>.console.amazonaws-eusc.eu). Every other region: <region>.console.aws.amazon.com.
 */
const CONSOLES: ReadonlyArray<[prefix: string, host: (region: string) => string]> = [
  ['cn-', () => 'console.amazonaws.cn'],
  ['us-gov-', () => 'console.amazonaws-us-gov.com'],
  ['eusc-', region => `${region}.console.amazonaws-eusc.eu`]
]

/** The deployment's page in the CodeDeploy console of the region's partition. */
export function consoleUrl(region: string, deploymentId: string): string {
  const host = CONSOLES.find(([prefix]) => region.startsWith(prefix))?.[1](region) ?? `${region}.console.aws.amazon.com`
  return `https://${host}/codesuite/codedeploy/deployments/${deploymentId}?region=${region}`
}
