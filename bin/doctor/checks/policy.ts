import * as z from 'zod';
import type { DoctorPorts } from '../ports';
import { describeError, errorName, type Finding, fail, pass, skip, warn } from '../result';
import { awsCallFailed } from './aws-errors';

/** Each action callers need, and the condition key that keeps it to the function URL. */
export const EXPECTED_CONDITIONS = {
  'lambda:InvokeFunctionUrl': 'lambda:FunctionUrlAuthType',
  'lambda:InvokeFunction': 'lambda:InvokedViaFunctionUrl',
} as const;

type Action = keyof typeof EXPECTED_CONDITIONS;

const oneOrMany = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));
const statementSchema = z.object({
  Effect: z.string(),
  Action: oneOrMany.optional(),
  Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});
const documentSchema = z.object({
  Statement: z
    .union([statementSchema, z.array(statementSchema)])
    .transform((v) => (Array.isArray(v) ? v : [v])),
});

/** How the policy grants one action. */
export interface ActionGrant {
  allowed: boolean;
  /** Whether every Allow statement for the action carries its condition key. */
  conditioned: boolean;
}

/**
 * Reads which of the two invoke actions a policy document allows and whether each carries its condition key.
 * Action names match case-insensitively, as IAM's do; `lambda:*`-style wildcards count as allowing without a
 * condition unless the statement has one.
 * @throws Error when the document is not an IAM policy
 */
export function analyseInvokePolicy(documentJson: string): Record<Action, ActionGrant> {
  const document = documentSchema.parse(JSON.parse(documentJson));
  const grants = {} as Record<Action, ActionGrant>;
  for (const action of Object.keys(EXPECTED_CONDITIONS) as Action[]) {
    const key = EXPECTED_CONDITIONS[action].toLowerCase();
    const allowing = document.Statement.filter(
      (statement) =>
        statement.Effect === 'Allow' &&
        (statement.Action ?? []).some((pattern) => actionMatches(pattern, action)),
    );
    grants[action] = {
      allowed: allowing.length > 0,
      conditioned:
        allowing.length > 0 &&
        allowing.every((statement) =>
          Object.values(statement.Condition ?? {}).some((keys) =>
            Object.keys(keys).some((name) => name.toLowerCase() === key),
          ),
        ),
    };
  }
  return grants;
}

/** IAM action matching: case-insensitive, `*` for any run of characters (no other wildcard matters here). */
function actionMatches(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  const star = p.indexOf('*');
  if (star === -1) return p === a;
  // Only trailing or lone wildcards appear in practice ("lambda:*", "lambda:Invoke*", "*").
  return a.startsWith(p.slice(0, star)) && p.indexOf('*', star + 1) === -1 && p.endsWith('*');
}

/**
 * `invoke-policy`: the managed policy of the `ChatInvokePolicyArn` output allows `lambda:InvokeFunctionUrl` (with
 * `lambda:FunctionUrlAuthType`) and `lambda:InvokeFunction` (with `lambda:InvokedViaFunctionUrl`), so whoever holds it
 * can chat through the URL and cannot invoke the function any other way.
 */
export async function checkInvokePolicy(
  ports: Pick<DoctorPorts, 'policyDocument'>,
  policyArn: string | undefined,
  region: string,
): Promise<Finding> {
  if (!policyArn) return skip('Needs the ChatInvokePolicyArn output (see stack-outputs)');
  let grants: Record<Action, ActionGrant>;
  try {
    grants = analyseInvokePolicy(await ports.policyDocument(policyArn));
  } catch (error) {
    if (errorName(error) === 'NoSuchEntity') {
      return fail(`No managed policy ${policyArn}`, 'Deploy again: the stack creates it.');
    }
    if (error instanceof z.ZodError || error instanceof SyntaxError) {
      return fail(`${policyArn} is not a readable IAM policy (${describeError(error)})`, 'Deploy again.');
    }
    return awsCallFailed(error, `read policy ${policyArn} (iam:GetPolicy, iam:GetPolicyVersion)`, region);
  }
  const actions = Object.keys(EXPECTED_CONDITIONS) as Action[];
  const notAllowed = actions.filter((action) => !grants[action].allowed);
  if (notAllowed.length > 0) {
    return fail(
      `The invoke policy does not allow ${notAllowed.join(' or ')}`,
      'Function URLs created since October 2025 need both lambda:InvokeFunctionUrl and lambda:InvokeFunction: deploy this version again.',
    );
  }
  const unconditioned = actions.filter((action) => !grants[action].conditioned);
  if (unconditioned.length > 0) {
    return warn(
      `The invoke policy allows ${unconditioned
        .map((action) => `${action} without ${EXPECTED_CONDITIONS[action]}`)
        .join(' and ')}: its holders can invoke the function other than through its URL`,
      'Deploy this version again: it scopes both actions to the function URL.',
    );
  }
  return pass(actions.map((action) => `${action} when ${EXPECTED_CONDITIONS[action]}`).join(', '));
}
