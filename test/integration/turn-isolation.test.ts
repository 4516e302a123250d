import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../lambdas/agent/events';
import type { ChatMessage, ModelPort, ModelRequest, ModelStreamEvent } from '../../lambdas/agent/model';
import { runChatTurn } from '../../lambdas/agent/turn';
import type { ChatAppDeps } from '../../lambdas/chat/app';
import { createAppDeps } from '../../lambdas/chat/wiring';
import type { GitHubTokenPort, TokenRequest } from '../../lambdas/identity';
import { startAgentDynamo, testConfig } from '../support/chat-function';
import type { LocalDynamo } from '../support/dynalite';
import {
  fastOctokitOptions,
  type GitHubStandin,
  SAMPLE_LOGIN,
  startGitHubStandin,
} from '../support/github-standin';

/**
 * The tools and their specs are built once per cold start and shared by every turn; what belongs to one user's turn
 * (the GitHub token, the session) is bound per turn. Two users' turns run at the same time through the chat
 * function's own wiring, and each must see only its own.
 */
const USERS = {
  alice: { token: 'gho_alice_token', login: SAMPLE_LOGIN },
  bob: { token: 'gho_bob_token', login: 'bob-dev' },
} as const;
type User = keyof typeof USERS;

let dynamo: LocalDynamo;
let github: GitHubStandin;

beforeAll(async () => {
  dynamo = await startAgentDynamo();
  github = await startGitHubStandin({
    tokens: Object.fromEntries(Object.values(USERS).map((user) => [user.token, user.login])),
  });
});

afterAll(async () => {
  github.assertNoViolations();
  await github.close();
  await dynamo.close();
});

/**
 * Hands each user their own token, but only once both turns have asked (or after a second, so a binding shared by
 * mistake fails the assertions rather than hanging): the two turns' tools run interleaved.
 */
function barrierTokenPort(): GitHubTokenPort & { asked: TokenRequest[] } {
  const asked: TokenRequest[] = [];
  let release: () => void = () => undefined;
  const bothAsked = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    asked,
    async getToken(request) {
      asked.push(request);
      if (asked.length === 2) release();
      await Promise.race([bothAsked, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      return { kind: 'token', token: USERS[request.userId as User].token };
    },
    completeConsent: async () => undefined,
  };
}

/** Lists the caller's repositories, then answers with what the tool returned; keeps every request it was sent. */
function listingModel(): ModelPort & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  const play = (events: ModelStreamEvent[]) =>
    (async function* () {
      yield* events;
    })();
  return {
    requests,
    stream(request) {
      requests.push(request);
      const last = request.messages.at(-1)?.content[0];
      if (last && 'text' in last) {
        return play([
          { type: 'tool_use', toolUseId: 'list-1', name: 'list_github_repos', input: {} },
          { type: 'stop', reason: 'tool_use' },
        ]);
      }
      const result = last && 'toolResult' in last ? JSON.stringify(last.toolResult.content) : 'none';
      return play([
        { type: 'text', delta: result },
        { type: 'stop', reason: 'end_turn' },
      ]);
    },
  };
}

async function turn(deps: ChatAppDeps, user: User, message: string) {
  const events: ChatEvent[] = [];
  await runChatTurn(deps.turn, {
    userId: user,
    message,
    emit: (event) => events.push(event),
    remainingMs: () => 60_000,
  });
  const sessionId = events.find((event) => event.type === 'session')?.session_id ?? '';
  const answer = events.flatMap((event) => (event.type === 'token' ? [event.content] : [])).join('');
  return { events, sessionId, answer };
}

const repositoriesIn = (answer: string) =>
  (
    JSON.parse(answer) as Array<{ json: { repositories: Array<{ full_name: string }> } }>
  )[0]?.json.repositories.map((repo) => repo.full_name);

describe('two users chatting at the same time', () => {
  it("never see each other's GitHub token, tool results or session, while sharing one tool set", async () => {
    const tokenPort = barrierTokenPort();
    const model = listingModel();
    const deps = createAppDeps(testConfig({ GITHUB_API_URL: github.url }), {
      dynamo: dynamo.client,
      model,
      tokenPort,
      octokit: fastOctokitOptions(),
    });

    const [alice, bob] = await Promise.all([
      turn(deps, 'alice', 'list my repositories (alice)'),
      turn(deps, 'bob', 'list my repositories (bob)'),
    ]);

    expect(tokenPort.asked.map((request) => request.userId).sort()).toEqual(['alice', 'bob']);
    expect(repositoriesIn(alice.answer)).toEqual([
      'sample-dev/widgets',
      'sample-dev/notes',
      'sample-org/platform',
    ]);
    expect(repositoriesIn(bob.answer)).toEqual([]);
    expect(alice.sessionId).not.toBe(bob.sessionId);
    const aliceSaved = await deps.turn.sessions.loadRecent('alice', alice.sessionId, 10_000);
    expect(textsOf(aliceSaved)).toContain('list my repositories (alice)');
    expect(textsOf(aliceSaved)).not.toContain('list my repositories (bob)');
    expect(await deps.turn.sessions.open('alice', bob.sessionId)).toBeUndefined();
    expect(await deps.turn.sessions.open('bob', alice.sessionId)).toBeUndefined();
    // Four model calls (two per turn), all sent the one specs instance built at cold start.
    expect(model.requests).toHaveLength(4);
    for (const request of model.requests) expect(request.tools).toBe(deps.turn.tools.specs);
  });
});

function textsOf(messages: ChatMessage[]): string[] {
  return messages.flatMap((message) =>
    message.content.flatMap((block) => ('text' in block ? [block.text] : [])),
  );
}
