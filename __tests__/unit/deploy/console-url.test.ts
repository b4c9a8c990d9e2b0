/**
 * console-url.ts: the deployment's page in the console of the region's partition. Sources: the AWS
 * Management Console endpoints page (aws), the AWS GovCloud (US) user guide (console.amazonaws-us-gov.com),
 * the Amazon Web Services in China sign-in guide (console.amazonaws.cn), and for the European Sovereign
 * Cloud the AWS CLI's console-login tests (https://eusc-de-east-1.console.amazonaws-eusc.eu/...).
 */
import { consoleUrl } from '../../../src/deploy/console-url.js'

const PATH = 'codesuite/codedeploy/deployments/d-ABCDEF123'

test.each([
  ['aws', 'eu-west-1', `https://eu-west-1.console.aws.amazon.com/${PATH}?region=eu-west-1`],
  ['aws-cn', 'cn-north-1', `https://console.amazonaws.cn/${PATH}?region=cn-north-1`],
  ['aws-cn', 'cn-northwest-1', `https://console.amazonaws.cn/${PATH}?region=cn-northwest-1`],
  ['aws-us-gov', 'us-gov-west-1', `https://console.amazonaws-us-gov.com/${PATH}?region=us-gov-west-1`],
  ['aws-eusc', 'eusc-de-east-1', `https://eusc-de-east-1.console.amazonaws-eusc.eu/${PATH}?region=eusc-de-east-1`]
])('%s: %s', (_partition, region, url) => {
  expect(consoleUrl(region, 'd-ABCDEF123')).toBe(url)
})
