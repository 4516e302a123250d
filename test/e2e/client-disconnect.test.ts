import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse } from '../../bin/client/sse';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import type { ChatEvent } from '../../lambdas/agent/events';
import type { ChatMessage } from '../../lambdas/agent/model';
import { createSessionStore } from '../../lambdas/sessions/messages';
import {
  type ConverseRequestBody,
  callTool,
  type Responder,
  type ScriptedTurn,
  say,
} from '../support/bedrock-standin';
import { localUserId, sendWithConsent } from '../support/e2e';

/**
 * A client that goes away mid-turn, end to end through the local function URL: the handler must notice (the response
 * stream closes), abort the turn through its signal, call the model no more, start no GitHub write, and still save a
 * consistent history.
 */

const USER = 'leaver';
const WARM_UP = 'warm up';
const BUSY = 'keep working';

/**
 * The "model": a warm-up turn that needs GitHub (so the user consents once), then a busy turn that never ends on its
 * own: every call asks for one more tool, alternating the clock and an issue creation, streamed slowly enough that the
 * client can leave mid-turn.
 */
const responder: Responder = (body) => {
  const request = latestUserText(body);
  const toolRounds = roundsSince(body);
  if (request === WARM_UP) {
    return toolRounds === 0 ? callTool('get_repo_info', { owner: 'sample-dev', repo: 'widgets' }) : say('ok');
  }
  const use =
    toolRounds % 2 === 0
      ? { name: 'get_current_time', input: { time_zone: 'UTC' } }
      : {
          name: 'create_github_issue',
          input: { owner: 'sample-dev', repo: 'widgets', title: `Step ${toolRounds}` },
        };
  const turn: ScriptedTurn = { kind: 'reply', text: [`step ${toolRounds} `], toolUses: [use], delayMs: 15 };
  return turn;
};

let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer({ offline: true, allowUserHeader: true, logLevel: 'SILENT', responder });
  // One consent for the user, in a session of its own (its GitHub reads must not colour the busy session).
  const warmUp = await sendWithConsent(server, USER, { message: WARM_UP });
  expect(warmUp.reply.events.at(-1)?.type).toBe('done');
});

afterAll(async () => {
  server.github?.assertNoViolations();
  await server?.close();
});

describe('a client that disconnects mid-turn', () => {
  it('stops the turn: no more model calls, no GitHub write started, a consistent history saved', async () => {
    const github = server.github;
    const bedrock = server.bedrock;
    if (!github || !bedrock) throw new Error('offline mode starts the GitHub and Bedrock stand-ins');

    const left = await chatUntilFirst(server.url, { message: BUSY }, USER, 'tool_result');
    const modelCallsAtDisconnect = bedrock.requests.length;
    const writesAtDisconnect = issueCreations(github.requests);
    const history = await savedHistory(left.sessionId);
    const modelCallsAfter = bedrock.requests.length - modelCallsAtDisconnect;
    const writesAfter = issueCreations(github.requests) - writesAtDisconnect;

    console.info(
      `client disconnect: ${modelCallsAfter} model call(s), ${writesAfter} GitHub write(s) after it`,
    );
    expect(modelCallsAfter).toBeLessThanOrEqual(1);
    expect(writesAfter).toBe(0);
    expect(history[0]).toEqual({ role: 'user', content: [{ text: BUSY }] });
    expect(history.at(-1)?.role).toBe('assistant');
    expect(danglingToolUses(history)).toEqual([]);
  });
});

/** Sends a message, reads the stream until the first event of `type`, then drops the connection. */
async function chatUntilFirst(
  baseUrl: string,
  body: unknown,
  user: string,
  type: ChatEvent['type'],
): Promise<{ sessionId: string; events: ChatEvent[] }> {
  const controller = new AbortController();
  const response = await fetch(new URL('/chat/stream', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-local-user': user },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  if (!response.body) throw new Error(`No body (HTTP ${response.status})`);
  const events: ChatEvent[] = [];
  try {
    for await (const message of readSse(response.body)) {
      const event = JSON.parse(message.data) as ChatEvent;
      events.push(event);
      if (event.type === type) break;
    }
  } finally {
    controller.abort();
  }
  const session = events.find((event) => event.type === 'session');
  if (session?.type !== 'session') throw new Error('The stream announced no session');
  return { sessionId: session.session_id, events };
}

/** Waits (at most 15 s) for the turn to be saved, which it is once it has stopped, and returns the history. */
async function savedHistory(sessionId: string): Promise<ChatMessage[]> {
  const store = createSessionStore({
    client: server.dynamo.client,
    tableName: server.config.SESSIONS_TABLE,
    ttlDays: 1,
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const messages = await store.loadRecent(localUserId(USER), sessionId, 1_000_000);
    if (messages.length > 0) return messages;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('The turn was never saved');
}

function issueCreations(requests: ReadonlyArray<{ method: string; operationId?: string }>): number {
  return requests.filter((request) => request.operationId === 'issues/create').length;
}

/** Tool uses without a result in the following message: Bedrock would reject the session's next turn. */
function danglingToolUses(messages: ChatMessage[]): string[] {
  const dangling: string[] = [];
  messages.forEach((message, index) => {
    const answered = new Set(
      (messages[index + 1]?.content ?? []).flatMap((block) =>
        'toolResult' in block ? [block.toolResult.toolUseId] : [],
      ),
    );
    for (const block of message.content) {
      if ('toolUse' in block && !answered.has(block.toolUse.toolUseId))
        dangling.push(block.toolUse.toolUseId);
    }
  });
  return dangling;
}

function latestUserText(body: ConverseRequestBody): string | undefined {
  for (const message of [...body.messages].reverse()) {
    if (message.role !== 'user') continue;
    const text = message.content.find((block) => typeof block.text === 'string')?.text;
    if (typeof text === 'string') return text;
  }
  return undefined;
}

/** Tool rounds since the latest user text message. */
function roundsSince(body: ConverseRequestBody): number {
  let rounds = 0;
  for (const message of [...body.messages].reverse()) {
    if (message.role !== 'user') continue;
    if (message.content.some((block) => 'toolResult' in block)) rounds += 1;
    else break;
  }
  return rounds;
}
