import { createHash } from 'node:crypto';
import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';

/** The caller, as the function URL's IAM authorizer saw it. */
export interface Caller {
  /**
   * Stable, opaque and key-safe: `iam-` + base64url(SHA-256(principal id, ARN)). Every stored key starts with it.
   */
  userId: string;
  /** The signer's ARN (for logs and messages). */
  userArn: string;
}

/** Principal ids are `AIDA…` (user), `AROA…:<session>` (role session) and the like; anything odd is refused. */
const PRINCIPAL_ID = /^[A-Z0-9]{8,128}(?::[\w+=,.@-]{1,128})?$/;

/**
 * Who is calling, taken only from `requestContext.authorizer.iam` (the SigV4 signature AWS verified), never from the
 * body. The key covers the principal's unique id as well as its ARN: a deleted and re-created IAM user or role with the
 * same name gets a new id, so it never inherits the old principal's sessions or GitHub token.
 * @returns undefined when the request carries no complete IAM identity (the handler answers 401)
 */
export function callerFromEvent(event: LambdaFunctionURLEventWithIAMAuthorizer): Caller | undefined {
  const iam = event.requestContext?.authorizer?.iam;
  const userArn = iam?.userArn;
  const principalId = iam?.userId;
  if (typeof userArn !== 'string' || !userArn.startsWith('arn:') || userArn.length > 2048) return undefined;
  if (typeof principalId !== 'string' || !PRINCIPAL_ID.test(principalId)) return undefined;
  return { userId: userIdForPrincipal(userArn, principalId), userArn };
}

/**
 * The user id for an IAM principal: its ARN and its unique id together (hashed: AgentCore limits user ids to 128
 * characters and DynamoDB keys must not depend on ARN punctuation).
 */
export function userIdForPrincipal(userArn: string, principalId: string): string {
  return `iam-${createHash('sha256').update(`${principalId}\n${userArn}`).digest('base64url')}`;
}
