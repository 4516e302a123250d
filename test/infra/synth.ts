import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { type CodingAgentApp, createCodingAgentApp } from '../../lib/app';
import { PROJECT_ROOT } from '../../lib/bundling';
import type { NagSummary } from '../../lib/nag-report';

/** cdk.json's context (the feature flags), which the CLI passes to `cdk synth` and a test must pass itself. */
const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(`${PROJECT_ROOT}/cdk.json`, 'utf8')) as { context: Record<string, unknown> }
).context;

export interface Synthesized extends CodingAgentApp {
  template: Template;
  /** What the app's cdk-nag run reported during synth. */
  nagSummaries: NagSummary[];
}

/**
 * Synthesizes the real app with the given context. The slow parts are opt-in so one full synth can check them and
 * the variants stay fast: `bundle` runs esbuild (otherwise CDK's own `aws:cdk:bundling-stacks` switch skips it),
 * `validate` runs aws-cdk-lib's built-in CloudFormation schema validation (a WebAssembly module, seconds to load).
 */
export function synth(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean; validate?: boolean } = {},
): Synthesized {
  const nagSummaries: NagSummary[] = [];
  const built = createCodingAgentApp(
    {
      context: {
        ...CDK_JSON_CONTEXT,
        ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
        ...context,
      },
      builtinCloudFormationValidation: options.validate ?? false,
    },
    {},
    (summary) => nagSummaries.push(summary),
  );
  return { ...built, template: Template.fromStack(built.stack), nagSummaries };
}

/** An IAM statement as it appears in the template. */
export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

/** Every statement of every inline or managed policy attached through `roleLogicalIdPrefix` (or all of them). */
export function policyStatements(template: Template, policyLogicalIdPrefix = ''): Statement[] {
  const policies = {
    ...template.findResources('AWS::IAM::Policy'),
    ...template.findResources('AWS::IAM::ManagedPolicy'),
  };
  return Object.entries(policies)
    .filter(([logicalId]) => logicalId.startsWith(policyLogicalIdPrefix))
    .flatMap(([, resource]) => resource.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** A resource as readable text: `Fn::Join` flattened, `Ref`/`GetAtt` shown as `<Ref:X>`/`<X.Attr>`. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    if ('Ref' in object) return object.Ref === 'AWS::Partition' ? 'aws' : `<Ref:${String(object.Ref)}>`;
    if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  return JSON.stringify(value);
}

export const resourcesOf = (statement: Statement): string[] =>
  (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map(render);
