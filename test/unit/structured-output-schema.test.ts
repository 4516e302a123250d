import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { structuredOutputSupported } from '../../lambdas/agent/bedrock';
import { toBedrockJsonSchema } from '../../lambdas/agent/bedrock-schema';
import { chunkFindingsSchema, SEVERITIES } from '../../lambdas/review/findings';
import { responseFormatFor } from '../../lambdas/review/json';
import { planModelSchema } from '../../lambdas/review/plan';
import { checkOutputConfig } from '../support/bedrock-standin';

describe('which model ids STRUCTURED_OUTPUT=auto constrains', () => {
  it.each([
    'au.anthropic.claude-sonnet-4-6',
    'anthropic.claude-sonnet-4-5-20250929-v1:0',
    'global.anthropic.claude-opus-4-5-20251101-v1:0',
    'us.anthropic.claude-opus-4-6-v1',
    'us.anthropic.claude-haiku-4-5-20251001-v1:0',
    'arn:aws:bedrock:ap-southeast-2:123456789012:inference-profile/au.anthropic.claude-sonnet-4-6',
  ])('constrains %s', (modelId) => {
    expect(structuredOutputSupported(modelId)).toBe(true);
  });

  it.each([
    'anthropic.claude-sonnet-4-20250514-v1:0',
    'anthropic.claude-opus-4-1-20250805-v1:0',
    'anthropic.claude-3-7-sonnet-20250219-v1:0',
    'amazon.nova-pro-v1:0',
    'arn:aws:bedrock:ap-southeast-2:123456789012:application-inference-profile/abc123',
  ])('leaves %s unconstrained', (modelId) => {
    expect(structuredOutputSupported(modelId)).toBe(false);
  });
});

describe("fitting a JSON Schema to Bedrock's structured-output subset", () => {
  it('closes every object, drops the bounds, and keeps them as words in the description', () => {
    const schema = z.toJSONSchema(
      z.object({
        name: z.string().min(1).max(20).describe('who'),
        tags: z.array(z.string()).min(2).max(5),
        age: z.number().int().min(0),
        nested: z.looseObject({ ok: z.boolean() }),
      }),
    ) as Record<string, unknown>;

    expect(toBedrockJsonSchema(schema)).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', description: 'who (minLength 1, maxLength 20)' },
        tags: { type: 'array', items: { type: 'string' }, description: '(minItems 2, maxItems 5)' },
        age: { type: 'integer', description: '(minimum 0)' },
        nested: {
          type: 'object',
          properties: { ok: { type: 'boolean' } },
          required: ['ok'],
          additionalProperties: false,
        },
      },
      required: ['name', 'tags', 'age', 'nested'],
      additionalProperties: false,
    });
  });

  it('keeps minItems 0 and 1 and turns oneOf into anyOf', () => {
    const fitted = toBedrockJsonSchema({
      type: 'array',
      minItems: 1,
      items: { oneOf: [{ type: 'string' }, { type: 'null' }] },
    });

    expect(fitted).toEqual({
      type: 'array',
      minItems: 1,
      items: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    });
  });

  it.each([
    ['plan', planModelSchema],
    ['findings', chunkFindingsSchema],
  ] as const)('fits the %s schema into what Bedrock accepts', (output, schema) => {
    const fitted = JSON.stringify(toBedrockJsonSchema(responseFormatFor(schema, output).schema));

    expect(
      checkOutputConfig({
        textFormat: {
          type: 'json_schema',
          structure: { jsonSchema: { name: `review_${output}`, schema: fitted } },
        },
      }),
    ).toBeUndefined();
  });

  it('asks for every field of the plan, defaults included, and for severity from its enum', () => {
    const plan = responseFormatFor(planModelSchema, 'plan').schema;
    const findings = JSON.stringify(responseFormatFor(chunkFindingsSchema, 'findings').schema);

    expect(plan.required).toEqual(['objective', 'steps', 'risks', 'estimated_time_minutes']);
    expect(findings).toContain(`"enum":${JSON.stringify(SEVERITIES)}`);
  });
});
