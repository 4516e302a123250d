import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { createBedrockModel, type PromptCacheMode } from '../../lambdas/agent/bedrock';
import type { ChatMessage, ModelPort, ModelRequest, TokenUsage } from '../../lambdas/agent/model';
import {
  type BedrockStandin,
  type BedrockStandinOptions,
  callTool,
  say,
  startBedrockStandin,
} from '../support/bedrock-standin';

const CLAUDE = 'au.anthropic.claude-sonnet-4-6';
const CACHE_POINT = { cachePoint: { type: 'default' } };
/** About 1,400 tokens at 4 characters a token: over Sonnet's 1,024-token minimum per checkpoint. */
const LONG_SYSTEM = 'Answer questions about GitHub repositories. '.repeat(128);
const TOOLS = [
  { name: 'get_current_time', description: 'now', inputSchema: { type: 'object', properties: {} } },
];

let standin: BedrockStandin | undefined;

afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

async function modelWith(
  options: { modelId?: string; promptCache?: PromptCacheMode } & BedrockStandinOptions,
): Promise<{ model: ModelPort; standin: BedrockStandin }> {
  standin = await startBedrockStandin(options);
  const client = new BedrockRuntimeClient({
    endpoint: standin.url,
    region: 'ap-southeast-2',
    maxAttempts: 1,
  });
  const model = createBedrockModel({
    client,
    modelId: options.modelId ?? CLAUDE,
    promptCache: options.promptCache,
  });
  return { model, standin };
}

async function usageOf(model: ModelPort, request: ModelRequest): Promise<TokenUsage | undefined> {
  let usage: TokenUsage | undefined;
  for await (const event of model.stream(request)) if (event.type === 'stop') usage = event.usage;
  return usage;
}

const ask = (messages: ChatMessage[] = [{ role: 'user', content: [{ text: 'hi' }] }]): ModelRequest => ({
  system: 'be brief',
  messages,
  tools: TOOLS,
  maxTokens: 64,
});

describe('prompt caching in the Bedrock adapter', () => {
  it('puts a cache checkpoint after the system prompt and after the last tool spec for a Claude model', async () => {
    const { model, standin } = await modelWith({ script: [say('ok')] });

    await usageOf(model, ask());

    const body = standin.requests[0]?.body;
    expect(body?.system).toEqual([{ text: 'be brief' }, CACHE_POINT]);
    expect(body?.toolConfig?.tools.map((tool) => tool.toolSpec?.name ?? tool.cachePoint)).toEqual([
      'get_current_time',
      CACHE_POINT.cachePoint,
    ]);
  });

  it('caches the system prompt of a call without tools (review calls)', async () => {
    const { model, standin } = await modelWith({ script: [say('{}')] });

    await usageOf(model, { ...ask(), tools: undefined });

    expect(standin.requests[0]?.body.system).toEqual([{ text: 'be brief' }, CACHE_POINT]);
    expect(standin.requests[0]?.body.toolConfig).toBeUndefined();
  });

  it.each([
    ['PROMPT_CACHE=off', CLAUDE, 'off'],
    ['a model that is not Claude', 'amazon.titan-text-premier-v1:0', 'auto'],
    ['a Claude model without prompt caching', 'anthropic.claude-3-haiku-20240307-v1:0', 'auto'],
  ] as const)('sends no cache checkpoint for %s', async (_case, modelId, promptCache) => {
    const { model, standin } = await modelWith({ modelId, promptCache, script: [say('ok')] });

    await usageOf(model, ask());

    const body = standin.requests[0]?.body;
    expect(body?.system).toEqual([{ text: 'be brief' }]);
    expect(body?.toolConfig?.tools).toHaveLength(1);
  });

  it('sends checkpoints for any model id with PROMPT_CACHE=on', async () => {
    const profile = 'arn:aws:bedrock:ap-southeast-2:123456789012:application-inference-profile/abc123';
    const { model, standin } = await modelWith({ modelId: profile, promptCache: 'on', script: [say('ok')] });

    await usageOf(model, ask());

    expect(standin.requests[0]?.body.system).toEqual([{ text: 'be brief' }, CACHE_POINT]);
  });

  it('reads the cached prefix on every call of a five-call turn after the first writes it', async () => {
    const { model } = await modelWith({
      usage: 'estimated',
      script: [...Array.from({ length: 4 }, () => callTool('get_current_time', {})), say('It is late.')],
    });
    const messages: ChatMessage[] = [{ role: 'user', content: [{ text: 'what time is it?' }] }];
    const usages: Array<TokenUsage | undefined> = [];

    for (let call = 0; call < 5; call++) {
      usages.push(await usageOf(model, { ...ask(messages), system: LONG_SYSTEM }));
      // What the loop appends between calls: the tool use and its result.
      messages.push(
        {
          role: 'assistant',
          content: [{ toolUse: { toolUseId: `t${call}`, name: 'get_current_time', input: {} } }],
        },
        {
          role: 'user',
          content: [
            { toolResult: { toolUseId: `t${call}`, status: 'success', content: [{ text: '23:59' }] } },
          ],
        },
      );
    }

    const written = usages[0]?.cacheWriteInputTokens ?? 0;
    expect(written).toBeGreaterThan(1_024);
    expect(usages[0]?.cacheReadInputTokens).toBeUndefined();
    expect(usages.slice(1).map((usage) => usage?.cacheReadInputTokens)).toEqual([
      written,
      written,
      written,
      written,
    ]);
    expect(usages.slice(1).map((usage) => usage?.cacheWriteInputTokens)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('caches nothing when the prefix is under the minimum, like Bedrock', async () => {
    const { model } = await modelWith({ usage: 'estimated', script: [say('a'), say('b')] });

    await usageOf(model, ask());
    const second = await usageOf(model, ask());

    expect(second?.cacheReadInputTokens).toBeUndefined();
    expect(second?.cacheWriteInputTokens).toBeUndefined();
    expect(second?.inputTokens).toBeGreaterThan(0);
  });
});
