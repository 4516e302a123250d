/**
 * The CDK app: `npm run synth` (offline) or `npx cdk deploy -c githubClientId=...`. Context parameters are listed
 * in docs/deployment.md; cdk-nag's AwsSolutions checks run on every synth.
 */
import { createCodingAgentApp } from '../lib/app';
import { ContextError } from '../lib/context';
import { formatNagSummary } from '../lib/nag-report';

try {
  createCodingAgentApp({}, process.env, (summary) => console.error(formatNagSummary(summary))).app.synth();
} catch (error) {
  if (!(error instanceof ContextError)) throw error;
  console.error(error.message);
  process.exit(1);
}
