import { createHook } from 'node:async_hooks';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { createBedrockModel } from '../../lambdas/agent/bedrock';
import { ModelError, type ModelPort, type ModelStreamEvent } from '../../lambdas/agent/model';
import { createBedrockRuntimeClient } from '../../lambdas/aws-clients';
import {
  type BedrockStandin,
  callTool,
  type ScriptedTurn,
  say,
  startBedrockStandin,
} from '../support/bedrock-standin';

const MODEL_ID = 'au.anthropic.claude-sonnet-4-5-20250929-v1:0';
let standin: BedrockStandin | undefined;

afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

async function modelWith(script: ScriptedTurn[]): Promise<{ model: ModelPort; standin: BedrockStandin }> {
  standin = await startBedrockStandin({ script });
  const client = new BedrockRuntimeClient({
    endpoint: standin.url,
    region: 'ap-southeast-2',
    maxAttempts: 1,
  });
  const model = createBedrockModel({
    client,
    modelId: MODEL_ID,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
  });
  return { model, standin };
}

async function collect(model: ModelPort): Promise<ModelStreamEvent[]> {
  const events: ModelStreamEvent[] = [];
  for await (const event of model.stream({
    system: 'be brief',
    messages: [{ role: 'user', content: [{ text: 'hi' }] }],
    tools: [
      { name: 'get_current_time', description: 'now', inputSchema: { type: 'object', properties: {} } },
    ],
    maxTokens: 256,
  })) {
    events.push(event);
  }
  return events;
}

describe('Bedrock model adapter against the event-stream stand-in', () => {
  it('yields text deltas in order, then the stop reason', async () => {
    const { model } = await modelWith([say('Hel', 'lo', '!')]);

    const events = await collect(model);

    expect(events).toEqual([
      { type: 'text', delta: 'Hel' },
      { type: 'text', delta: 'lo' },
      { type: 'text', delta: '!' },
      { type: 'stop', reason: 'end_turn', usage: { inputTokens: 10, outputTokens: 5 } },
    ]);
  });

  it('reports the prompt-cache token counts of the metadata event with the stop', async () => {
    const usage = {
      inputTokens: 40,
      outputTokens: 7,
      cacheReadInputTokens: 1200,
      cacheWriteInputTokens: 300,
    };
    const { model } = await modelWith([{ kind: 'reply', text: 'ok', usage }]);

    const events = await collect(model);

    expect(events.at(-1)).toEqual({ type: 'stop', reason: 'end_turn', usage });
  });

  it('assembles a tool input streamed across several deltas', async () => {
    const { model } = await modelWith([
      callTool('list_github_repos', { limit: 5, sort: 'updated' }, 'Looking.'),
    ]);

    const events = await collect(model);

    expect(events[0]).toEqual({ type: 'text', delta: 'Looking.' });
    expect(events[1]).toMatchObject({
      type: 'tool_use',
      name: 'list_github_repos',
      input: { limit: 5, sort: 'updated' },
    });
    expect(events[2]).toMatchObject({ type: 'stop', reason: 'tool_use' });
  });

  it('sends the model id, system prompt, messages and tool specs Bedrock expects', async () => {
    const { model, standin } = await modelWith([say('ok')]);

    await collect(model);

    const [request] = standin.requests;
    expect(request?.modelId).toBe(MODEL_ID);
    expect(request?.body.system?.[0]).toEqual({ text: 'be brief' });
    expect(request?.body.messages).toEqual([{ role: 'user', content: [{ text: 'hi' }] }]);
    expect(request?.body.toolConfig?.tools[0]?.toolSpec?.name).toBe('get_current_time');
    expect(request?.body.inferenceConfig?.maxTokens).toBe(256);
  });

  it('retries throttling with backoff and then succeeds', async () => {
    const throttled: ScriptedTurn = {
      kind: 'http_error',
      status: 429,
      type: 'ThrottlingException',
      message: 'slow down',
    };
    const { model, standin } = await modelWith([throttled, throttled, say('finally')]);

    const events = await collect(model);

    expect(standin.requests).toHaveLength(3);
    expect(events[0]).toEqual({ type: 'text', delta: 'finally' });
  });

  it('gives up on persistent throttling with the model_throttled code', async () => {
    const throttled: ScriptedTurn = {
      kind: 'http_error',
      status: 429,
      type: 'ThrottlingException',
      message: 'slow down',
    };
    const { model, standin } = await modelWith([throttled, throttled, throttled]);

    const failure = await collect(model).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ModelError);
    expect((failure as ModelError).code).toBe('model_throttled');
    expect(standin.requests).toHaveLength(3);
  });

  it.each([
    [403, 'AccessDeniedException', 'model_access_denied'],
    [400, 'ValidationException', 'model_validation'],
    [429, 'ModelNotReadyException', 'model_not_ready'],
    [503, 'ServiceUnavailableException', 'model_unavailable'],
  ])('maps HTTP %i %s to %s', async (status, type, code) => {
    const error: ScriptedTurn = { kind: 'http_error', status, type, message: 'nope' };
    const { model } = await modelWith([error, error, error]);

    const failure = await collect(model).catch((caught: unknown) => caught);

    expect((failure as ModelError).code).toBe(code);
  });

  it('does not retry an exception that arrives after text was streamed', async () => {
    const { model, standin } = await modelWith([
      { kind: 'stream_error', text: ['partial '], exception: 'throttlingException', message: 'mid-stream' },
      say('never used'),
    ]);
    const seen: ModelStreamEvent[] = [];

    const failure = await (async () => {
      for await (const event of model.stream({ system: 's', messages: [], maxTokens: 10 })) seen.push(event);
    })().catch((error: unknown) => error);

    expect(seen).toEqual([{ type: 'text', delta: 'partial ' }]);
    expect((failure as ModelError).code).toBe('model_throttled');
    expect(standin.requests).toHaveLength(1);
  });
});

describe('Bedrock client of the chat function', () => {
  it('leaves no timer behind a finished call (none to keep its HTTP/2 session alive)', async () => {
    standin = await startBedrockStandin({ script: [say('Hi')] });
    const client = createBedrockRuntimeClient({
      region: 'ap-southeast-2',
      endpoint: standin.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      timeouts: { connectMs: 1_000, requestMs: 1_000 },
    });
    const model = createBedrockModel({ client, modelId: MODEL_ID, idleTimeoutMs: 60_000 });
    // Every timer the call creates, to see which are still pending once it has ended.
    const timers: Array<{ _destroyed?: boolean; _idleTimeout?: number }> = [];
    const hook = createHook({
      init: (_id, type, _trigger, resource) => {
        if (type === 'Timeout') timers.push(resource as (typeof timers)[number]);
      },
    }).enable();

    try {
      await collect(model);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      hook.disable();
    }

    // The stand-in serves in this process too; its short timers may still be pending. A long one would hold the call.
    const pending = timers.filter((timer) => !timer._destroyed && (timer._idleTimeout ?? 0) >= 5_000);
    expect(timers.length).toBeGreaterThan(0);
    expect(pending.map((timer) => timer._idleTimeout)).toEqual([]);
    client.destroy();
  });
});
