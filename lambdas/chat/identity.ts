import { createHash } from 'node:crypto';
import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';

/** The caller, as the function URL's IAM authorizer saw it. */
export interface Caller {
  /** Stable, opaque and key-safe: `iam-` + base64url(SHA-256(userArn)). Every stored key starts with it. */
  userId: string;
  /** The signer's ARN (for logs and messages). */
  userArn: string;
}

/**
 * Who is calling, taken only from `requestContext.authorizer.iam` (the SigV4 signature AWS verified), never from the
 * body. The ARN is hashed because AgentCore limits user ids to 128 characters and DynamoDB keys must not depend on
 * ARN punctuation.
 * @returns undefined when the request carries no IAM identity (the handler answers 401)
 */
export function callerFromEvent(event: LambdaFunctionURLEventWithIAMAuthorizer): Caller | undefined {
  const userArn = event.requestContext?.authorizer?.iam?.userArn;
  if (typeof userArn !== 'string' || !userArn.startsWith('arn:')) return undefined;
  return { userId: userIdForArn(userArn), userArn };
}

/** The user id for an IAM principal ARN. */
export function userIdForArn(userArn: string): string {
  return `iam-${createHash('sha256').update(userArn).digest('base64url')}`;
}
