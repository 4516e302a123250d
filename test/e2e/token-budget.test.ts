import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import { firstOfType, localUserId, sendMessage, sendWithConsent } from '../support/e2e';

/**
 * The per-user token budget over the local server (issue 11): every model call made for a user's turns is charged,
 * the review's own calls included (they run outside the agent loop), in the user's hourly budget item.
 */

/** The Bedrock stand-in's usage for every call: 10 input and 5 output tokens. */
const TOKENS_PER_CALL = 15;

describe('the token budget counts review calls too (local server, demo model)', () => {
  let server: LocalServer;

  beforeAll(async () => {
    server = await startLocalServer({
      offline: true,
      allowUserHeader: true,
      logLevel: 'SILENT',
      env: { USER_TOKENS_PER_HOUR: '1000000' },
    });
  });
  afterAll(() => server.close());

  it("charges every model call of a review's plan and approval to the user who asked for it", async () => {
    const user = 'token-counted';
    const bedrock = server.bedrock;
    if (!bedrock) throw new Error('start the local server with offline: true');
    const before = bedrock.requests.length;

    const { reply, sessionId } = await sendWithConsent(server, user, {
      message: 'review sample-dev/widgets#4',
    });
    expect(firstOfType(reply.events, 'plan')).toBeDefined();
    const approved = await sendMessage(server, user, { message: 'approve', session_id: sessionId });
    expect(firstOfType(approved.events, 'review_posted')).toBeDefined();

    const calls = bedrock.requests.length - before;
    const reviewCalls = bedrock.requests
      .slice(before)
      .filter((request) => request.body.outputConfig !== undefined).length;
    const { Items } = await server.dynamo.client.send(
      new QueryCommand({
        TableName: server.config.SESSIONS_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `USER#${localUserId(user)}#BUDGET` } },
      }),
    );
    const charged = (Items ?? []).reduce((sum, item) => sum + Number(item.tokens?.N ?? 0), 0);
    // The plan and at least one part's findings are review calls, made outside the agent loop.
    expect(reviewCalls).toBeGreaterThanOrEqual(2);
    expect(charged).toBe(calls * TOKENS_PER_CALL);
  });
});
