import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { callerFromEvent } from '../../lambdas/chat/identity';

const ALICE_ARN = 'arn:aws:iam::123456789012:user/alice';

function eventFor(
  iam: { userArn?: unknown; userId?: unknown } | undefined,
): LambdaFunctionURLEventWithIAMAuthorizer {
  return {
    requestContext: { authorizer: iam === undefined ? undefined : { iam } },
  } as unknown as LambdaFunctionURLEventWithIAMAuthorizer;
}

describe('callerFromEvent', () => {
  it('gives a re-created IAM user with the same name a different user id (no inherited sessions or token)', () => {
    const original = callerFromEvent(eventFor({ userArn: ALICE_ARN, userId: 'AIDAJQABLZS4A3QDU576Q' }));
    const recreated = callerFromEvent(eventFor({ userArn: ALICE_ARN, userId: 'AIDAXYZ7TQ2WEXAMPLE01' }));

    expect(original?.userId).toMatch(/^iam-[A-Za-z0-9_-]{43}$/);
    expect(recreated?.userId).toMatch(/^iam-[A-Za-z0-9_-]{43}$/);
    expect(recreated?.userId).not.toBe(original?.userId);
  });

  it('keeps the same user id for the same principal across requests', () => {
    const first = callerFromEvent(eventFor({ userArn: ALICE_ARN, userId: 'AIDAJQABLZS4A3QDU576Q' }));
    const second = callerFromEvent(eventFor({ userArn: ALICE_ARN, userId: 'AIDAJQABLZS4A3QDU576Q' }));

    expect(second?.userId).toBe(first?.userId);
  });

  it('separates role sessions of the same role by their session name', () => {
    const roleArn = 'arn:aws:sts::123456789012:assumed-role/Developers/';
    const alice = callerFromEvent(
      eventFor({ userArn: `${roleArn}alice`, userId: 'AROAEXAMPLEROLEID01:alice' }),
    );
    const bob = callerFromEvent(eventFor({ userArn: `${roleArn}bob`, userId: 'AROAEXAMPLEROLEID01:bob' }));

    expect(alice).toBeDefined();
    expect(bob?.userId).not.toBe(alice?.userId);
  });

  it.each([
    ['no authorizer', undefined],
    ['no principal id', { userArn: ALICE_ARN }],
    ['an empty principal id', { userArn: ALICE_ARN, userId: '' }],
    ['a principal id with odd characters', { userArn: ALICE_ARN, userId: 'AIDA/../x' }],
    ['no ARN', { userId: 'AIDAJQABLZS4A3QDU576Q' }],
    ['a non-ARN', { userArn: 'alice', userId: 'AIDAJQABLZS4A3QDU576Q' }],
  ])('refuses a request with %s', (_name, iam) => {
    expect(callerFromEvent(eventFor(iam))).toBeUndefined();
  });
});
