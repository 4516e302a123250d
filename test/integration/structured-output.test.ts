import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createBedrockModel, type StructuredOutputMode } from '../../lambdas/agent/bedrock';
import type { ModelPort } from '../../lambdas/agent/model';
import { type MetricsPort, noopMetrics, type ReviewJsonAnswer } from '../../lambdas/metrics/port';
import { ModelOutputError } from '../../lambdas/review/errors';
import { generatePlan, planModelSchema } from '../../lambdas/review/plan';
import type { ReviewDeps } from '../../lambdas/review/ports';
import { approvePlan, planReview } from '../../lambdas/review/workflow';
import {
  type BedrockStandin,
  type BedrockStandinOptions,
  type ConverseRequestBody,
  checkOutputConfig,
  type Responder,
  say,
  startBedrockStandin,
} from '../support/bedrock-standin';
import { createFakeGitHub, createMemoryPlanStore, prFile, VALID_PLAN } from '../support/review-fakes';

/**
 * Structured output for the review's JSON answers (issue 11): the real Bedrock client and adapter against the Bedrock
 * stand-in, which checks each `outputConfig` the way Bedrock does (shape, and the JSON Schema subset it compiles).
 */

const CLAUDE = 'au.anthropic.claude-sonnet-4-6';
const NO_FINDINGS = JSON.stringify({ findings: [] });

let standin: BedrockStandin | undefined;

afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

async function modelWith(
  options: { modelId?: string; structuredOutput?: StructuredOutputMode } & BedrockStandinOptions,
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
    structuredOutput: options.structuredOutput,
    promptCache: 'off',
  });
  return { model, standin };
}

/** The JSON Schema a request carried, parsed, or undefined when it carried none. */
function schemaOf(body: ConverseRequestBody | undefined): Record<string, unknown> | undefined {
  const text = body?.outputConfig?.textFormat?.structure?.jsonSchema?.schema;
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

const isPlanRequest = (body: ConverseRequestBody) => (body.system?.[0]?.text ?? '').startsWith('You plan');

/**
 * A model that, left to itself, wraps its JSON in chatty prose with braces in it (which no extraction can take
 * apart), and writes the JSON alone when it is constrained to the schema or asked again.
 */
const chattyModel: Responder = (body) => {
  const json = isPlanRequest(body) ? VALID_PLAN : NO_FINDINGS;
  if (body.outputConfig !== undefined || body.messages.length > 1) return say(json);
  return say(`Here is what I found in {the PR}:\n\n${json}\n\nAsk me if {anything} is unclear.`);
};

const PLAN_INPUT = {
  ref: { owner: 'octo', repo: 'widgets', number: 12 },
  pr: {
    number: 12,
    title: 'Add task runner',
    body: 'Adds the runner.',
    state: 'open' as const,
    headSha: 'a'.repeat(40),
    baseSha: 'b'.repeat(40),
    htmlUrl: 'https://github.com/octo/widgets/pull/12',
  },
  reviewable: [prFile('agent-tasks/a.ts', ['+const a = 1;'])],
  skipped: [],
  outOfScope: 0,
  pathPrefixes: ['agent-tasks/'],
  listingTruncated: false,
};

function recorder(): { answers: ReviewJsonAnswer[]; metrics: MetricsPort } {
  const answers: ReviewJsonAnswer[] = [];
  return { answers, metrics: { ...noopMetrics, reviewJson: (answer) => void answers.push(answer) } };
}

describe('structured output for the review plan (Bedrock adapter + stand-in)', () => {
  it("sends the plan's JSON Schema, generated from its zod schema, in Bedrock's subset", async () => {
    const { model, standin } = await modelWith({ responder: chattyModel });

    await generatePlan(model, PLAN_INPUT, { maxTokens: 512 });

    const format = standin.requests[0]?.body.outputConfig?.textFormat;
    expect(format?.type).toBe('json_schema');
    expect(format?.structure?.jsonSchema?.name).toBe('review_plan');
    const schema = schemaOf(standin.requests[0]?.body);
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['objective', 'steps', 'risks', 'estimated_time_minutes'],
      properties: { estimated_time_minutes: { type: 'integer' }, steps: { type: 'array', minItems: 1 } },
    });
    // The bound the grammar cannot hold is still said to the model, and still checked by zod.
    expect(JSON.stringify(schema)).toContain('maxItems 15');
  });

  it('uses a schema-conforming answer as it is: one call, no repair', async () => {
    const { model, standin } = await modelWith({ responder: chattyModel });
    const { answers, metrics } = recorder();

    const plan = await generatePlan(model, PLAN_INPUT, { maxTokens: 512, metrics });

    expect(plan).toEqual(JSON.parse(VALID_PLAN));
    expect(standin.requests).toHaveLength(1);
    expect(answers).toEqual([{ output: 'plan', repaired: false, constrained: true }]);
  });

  it('still repairs once when a constrained answer breaks a bound the schema cannot express', async () => {
    const sixteenSteps = JSON.stringify({
      ...JSON.parse(VALID_PLAN),
      steps: Array.from({ length: 16 }, (_, i) => `Step ${i + 1}`),
    });
    const { model, standin } = await modelWith({ script: [say(sixteenSteps), say(VALID_PLAN)] });
    const { answers, metrics } = recorder();

    const plan = await generatePlan(model, PLAN_INPUT, { maxTokens: 512, metrics });

    expect(plan.steps).toHaveLength(3);
    expect(standin.requests).toHaveLength(2);
    expect(schemaOf(standin.requests[1]?.body)).toEqual(schemaOf(standin.requests[0]?.body));
    expect(JSON.stringify(standin.requests[1]?.body.messages.at(-1))).toContain('at most 15 steps');
    expect(answers).toEqual([{ output: 'plan', repaired: true, constrained: true }]);
  });

  it('fails with the reason when the repaired answer is still invalid', async () => {
    const { model } = await modelWith({ script: [say('{}'), say('{}')] });

    await expect(generatePlan(model, PLAN_INPUT, { maxTokens: 512 })).rejects.toBeInstanceOf(
      ModelOutputError,
    );
  });

  it('falls back to an unconstrained call (validated and repaired as before) when Bedrock refuses the schema', async () => {
    const { model, standin } = await modelWith({
      structuredOutput: 'on',
      supportsStructuredOutput: false,
      responder: chattyModel,
    });
    const { answers, metrics } = recorder();

    const first = await generatePlan(model, PLAN_INPUT, { maxTokens: 512, metrics });
    const second = await generatePlan(model, PLAN_INPUT, { maxTokens: 512, metrics });

    expect(first).toEqual(JSON.parse(VALID_PLAN));
    expect(second).toEqual(first);
    // Refused once; the retry without it answered, so the schema is not sent again in this cold start.
    expect(standin.requests.map((request) => request.body.outputConfig !== undefined)).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(answers).toEqual([
      { output: 'plan', repaired: true, constrained: false },
      { output: 'plan', repaired: true, constrained: false },
    ]);
  });

  it.each([
    ['STRUCTURED_OUTPUT=off', CLAUDE, 'off'],
    ['a model not known to support it (auto)', 'anthropic.claude-3-5-haiku-20241022-v1:0', 'auto'],
  ] as const)('sends no schema for %s', async (_case, modelId, structuredOutput) => {
    const { model, standin } = await modelWith({ modelId, structuredOutput, script: [say(VALID_PLAN)] });

    await generatePlan(model, PLAN_INPUT, { maxTokens: 512 });

    expect(standin.requests[0]?.body.outputConfig).toBeUndefined();
  });

  it("refuses what Bedrock would: the zod schema's JSON Schema as it is (the stand-in's check can fail)", () => {
    const raw = JSON.stringify(z.toJSONSchema(planModelSchema, { io: 'output' }));

    expect(
      checkOutputConfig({ textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: raw } } } }),
    ).toMatch(/not supported/);
  });
});

describe('repairs in a whole review with a chatty model: off vs structured output', () => {
  /** Plans and runs a review of three files (one model call per file at this budget); returns the JSON answers. */
  async function review(structuredOutput: StructuredOutputMode) {
    const { model, standin } = await modelWith({ structuredOutput, responder: chattyModel });
    const { answers, metrics } = recorder();
    const lines = (name: string) => Array.from({ length: 60 }, (_, i) => `+const ${name}${i} = ${i};`);
    const deps: ReviewDeps = {
      github: createFakeGitHub({
        files: ['a', 'b', 'c'].map((name) => prFile(`agent-tasks/${name}.ts`, lines(name))),
      }),
      plans: createMemoryPlanStore(),
      model,
      settings: {
        pathPrefixes: ['agent-tasks/'],
        planTtlHours: 24,
        chunkTokenBudget: 3200,
        maxOutputTokens: 512,
        concurrency: 1,
      },
      now: () => new Date(),
      newId: () => 'p_structured',
      metrics,
    };
    const planned = await planReview(deps, { userId: 'u', sessionId: 's', ref: PLAN_INPUT.ref });
    if (planned.outcome !== 'planned') throw new Error('expected a plan');
    const result = await approvePlan(deps, { userId: 'u', planId: planned.planId, emit: () => undefined });
    return { result, answers, calls: standin.requests.length };
  }

  it('needs one repair per answer without structured output, none with it', async () => {
    const off = await review('off');
    await standin?.close();
    standin = undefined;
    const on = await review('auto');

    expect(off.result.outcome).toBe('completed');
    expect(on.result.outcome).toBe('completed');
    const repairs = (answers: ReviewJsonAnswer[]) => answers.filter((answer) => answer.repaired).length;
    // One plan and three parts' findings: 4 repairs and 8 model calls without; none and 4 with structured output.
    expect([off.answers.length, repairs(off.answers), off.calls]).toEqual([4, 4, 8]);
    expect([on.answers.length, repairs(on.answers), on.calls]).toEqual([4, 0, 4]);
    expect(on.answers.every((answer) => answer.constrained)).toBe(true);
  });
});
