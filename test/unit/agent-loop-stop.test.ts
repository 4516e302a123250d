import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { ChatEvent } from '../../lambdas/agent/events';
import { runAgentTurn } from '../../lambdas/agent/loop';
import type { ModelPort, ModelStreamEvent } from '../../lambdas/agent/model';
import { defineTool, type Tool } from '../../lambdas/agent/tool';
import { createToolSet } from '../../lambdas/agent/tool-specs';
import { DependencyTimeoutError, stopTurnOnTimeout } from '../../lambdas/timeouts';

/** A turn stopped from outside the model: the client left, or a tool found a dependency hung. */

function scriptedModel(turns: ModelStreamEvent[][]): ModelPort & { calls: number } {
  const model = {
    calls: 0,
    async *stream() {
      model.calls += 1;
      for (const event of turns.shift() ?? []) yield event;
    },
  };
  return model;
}

const callTools = (...names: string[]): ModelStreamEvent[] => [
  ...names.map((name, index) => ({ type: 'tool_use' as const, toolUseId: `t${index}`, name, input: {} })),
  { type: 'stop', reason: 'tool_use' },
];
const answer: ModelStreamEvent[] = [
  { type: 'text', delta: 'done' },
  { type: 'stop', reason: 'end_turn' },
];

function tool(name: string, readOnly: boolean, run: Tool['run']): Tool {
  return defineTool({ name, description: name, input: z.object({}), readOnly, run });
}

const ok = { ok: true, summary: 'ok', content: {} };
const limits = { maxIterations: 4, maxOutputTokens: 512, reserveMs: 1_000 };

function input(tools: Tool[], events: ChatEvent[], signal?: AbortSignal) {
  return {
    system: 'system',
    history: [],
    userMessage: { role: 'user' as const, content: [{ text: 'go' }] },
    tools: createToolSet(tools),
    context: { userId: 'u', sessionId: 's', signal },
    emit: (event: ChatEvent) => events.push(event),
    remainingMs: () => 60_000,
  };
}

describe('a stopped turn', () => {
  it('starts no write once the client has gone, calls the model no more, and answers every tool use', async () => {
    const client = new AbortController();
    const writes: string[] = [];
    const read = tool('read', true, async () => {
      client.abort(new Error('client gone')); // the client leaves while the read runs
      return ok;
    });
    const write = tool('write', false, async () => {
      writes.push('write');
      return ok;
    });
    const model = scriptedModel([callTools('read', 'write'), answer]);
    const events: ChatEvent[] = [];

    const result = await runAgentTurn({ model, limits }, input([read, write], events, client.signal));

    expect(writes).toEqual([]);
    expect(model.calls).toBe(1);
    expect(result.outcome).toMatchObject({ kind: 'failed', code: 'client_disconnected' });
    expect(events.filter((event) => event.type === 'tool_result')).toEqual([
      { type: 'tool_result', tool_name: 'read', ok: true, summary: 'ok' },
      { type: 'tool_result', tool_name: 'write', ok: false, summary: 'not run: the turn was stopped' },
    ]);
    expect(result.messages.at(-1)?.content).toHaveLength(2);
  });

  it('ends with dependency_timeout after the round in which a tool found a dependency hung', async () => {
    const hung = stopTurnOnTimeout(
      tool('github_read', true, async () => {
        throw new DependencyTimeoutError('GitHub', 300);
      }),
    );
    const model = scriptedModel([callTools('github_read'), callTools('github_read'), answer]);
    const events: ChatEvent[] = [];

    const result = await runAgentTurn({ model, limits }, input([hung], events));

    expect(model.calls).toBe(1);
    expect(result.outcome).toMatchObject({
      kind: 'failed',
      code: 'dependency_timeout',
      message: expect.stringContaining('GitHub did not answer within 0.3 s'),
    });
    expect(events.find((event) => event.type === 'tool_result')).toMatchObject({ ok: false });
  });
});
