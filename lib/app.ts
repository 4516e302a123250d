import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { CodingAgentStack } from './coding-agent-stack';
import { readContext } from './context';
import { CountedAwsSolutionsChecks, type NagSummary } from './nag-report';

/** Any 12 digits keep synth offline; `cdk deploy` sets CDK_DEFAULT_ACCOUNT from the caller's credentials. */
export const PLACEHOLDER_ACCOUNT = '123456789012';

export interface CodingAgentApp {
  app: App;
  stack: CodingAgentStack;
}

/**
 * Builds the CDK app: validates the context (lib/context.ts), creates the stack in the context's Region, and
 * registers cdk-nag's AwsSolutions checks, which stop the synth on any finding that is not acknowledged and hand
 * `onNagSummary` what they checked.
 * @throws ContextError when a context value is invalid
 */
export function createCodingAgentApp(
  props: AppProps = {},
  env: NodeJS.ProcessEnv = process.env,
  onNagSummary: (summary: NagSummary) => void = () => undefined,
): CodingAgentApp {
  const app = new App(props);
  const settings = readContext(
    (key) => app.node.tryGetContext(key),
    Object.keys(app.node.getAllContext() as Record<string, unknown>),
  );
  const stack = new CodingAgentStack(app, settings.stackName, {
    settings,
    env: { account: env.CDK_DEFAULT_ACCOUNT ?? PLACEHOLDER_ACCOUNT, region: settings.region },
    description: 'GitHub coding agent: streaming chat on Lambda, Bedrock, AgentCore Identity GitHub OAuth',
  });
  // cdk-nag 3 is a policy-validation plugin (no longer an aspect): violations fail `app.synth()`.
  Validations.of(app).addPlugins(new CountedAwsSolutionsChecks(app, { verbose: true }, onNagSummary));
  return { app, stack };
}
