import * as z from 'zod';
import type { DoctorPorts } from './ports';

/** The stack outputs doctor reads (lib/coding-agent-stack.ts defines them). */
export const REQUIRED_OUTPUTS = [
  'ChatUrl',
  'GitHubCallbackUrl',
  'OAuthProviderArn',
  'WorkloadIdentityName',
  'ChatInvokePolicyArn',
] as const;

export type StackOutputs = Partial<Record<(typeof REQUIRED_OUTPUTS)[number], string>> &
  Record<string, string>;

/** Where the outputs came from, or why there are none. */
export type OutputsLookup =
  | { kind: 'found'; source: 'cloudformation'; outputs: StackOutputs; status: string; statusReason?: string }
  | { kind: 'found'; source: 'file'; file: string; outputs: StackOutputs }
  | { kind: 'missing'; reason: string }
  /** `--url` names a local server: there is no stack to look at. */
  | { kind: 'local'; url: string }
  | { kind: 'error'; error: unknown; during: string };

const outputsFileSchema = z.record(z.string(), z.record(z.string(), z.string()));

/** What the lookup needs. */
export interface OutputsQuery {
  stackName: string;
  region: string;
  outputsFile?: string;
  /** A loopback `--url` without an outputs file: the local server has no stack. */
  localUrl?: string;
}

/**
 * Finds the stack outputs: from `cdk deploy --outputs-file` when given (the stack named, or the only one in it), else
 * from CloudFormation DescribeStacks. Never throws: a failure is part of the answer, for the `stack-outputs` check.
 */
export async function lookUpOutputs(
  ports: Pick<DoctorPorts, 'describeStack' | 'readFile'>,
  query: OutputsQuery,
): Promise<OutputsLookup> {
  if (query.outputsFile) return fromFile(ports, query.outputsFile, query.stackName);
  if (query.localUrl) return { kind: 'local', url: query.localUrl };
  try {
    const stack = await ports.describeStack(query.stackName);
    if (!stack) return { kind: 'missing', reason: `No stack ${query.stackName} in ${query.region}` };
    return {
      kind: 'found',
      source: 'cloudformation',
      outputs: stack.outputs,
      status: stack.status,
      statusReason: stack.statusReason,
    };
  } catch (error) {
    return { kind: 'error', error, during: `describe stack ${query.stackName}` };
  }
}

async function fromFile(
  ports: Pick<DoctorPorts, 'readFile'>,
  file: string,
  stackName: string,
): Promise<OutputsLookup> {
  let text: string;
  try {
    text = await ports.readFile(file);
  } catch (error) {
    return { kind: 'error', error, during: `read ${file}` };
  }
  let parsed: z.infer<typeof outputsFileSchema>;
  try {
    parsed = outputsFileSchema.parse(JSON.parse(text));
  } catch {
    return {
      kind: 'missing',
      reason: `${file} is not a cdk deploy --outputs-file document ({"<stack>": {"<output>": "<value>"}})`,
    };
  }
  const stacks = Object.keys(parsed);
  const name = parsed[stackName] ? stackName : stacks.length === 1 ? stacks[0] : undefined;
  const outputs = name === undefined ? undefined : parsed[name];
  if (!outputs) {
    return {
      kind: 'missing',
      reason: `${file} has no stack ${stackName} (it has: ${stacks.join(', ') || 'none'}); pass --stack`,
    };
  }
  return { kind: 'found', source: 'file', file, outputs };
}

/** The provider's name is the last part of its ARN (`…:token-vault/default/oauth2credentialprovider/<name>`). */
export function providerNameFromArn(arn: string | undefined): string | undefined {
  const marker = '/oauth2credentialprovider/';
  const at = arn?.lastIndexOf(marker) ?? -1;
  return arn && at !== -1 ? arn.slice(at + marker.length) || undefined : undefined;
}
