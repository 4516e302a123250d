import { readFileSync } from 'node:fs';
import { OpenAPIBackend } from 'openapi-backend';
import { describe, expect, it } from 'vitest';
import { clean, OPERATIONS } from '../support/openapi/generate-subset';

const subsetPath = new URL('../support/openapi/github-subset.json', import.meta.url);

describe('openapi-subset clean()', () => {
  it('rewrites nullable without a type to anyOf with null', () => {
    expect(clean({ allOf: [{ $ref: '#/components/schemas/x' }], nullable: true })).toEqual({
      anyOf: [{ allOf: [{ $ref: '#/components/schemas/x' }] }, { type: 'null' }],
    });
  });

  it('adds null to a nullable enum and keeps nullable with a type for ajv', () => {
    expect(clean({ type: 'string', enum: ['a', 'b'], nullable: true })).toEqual({
      type: 'string',
      enum: ['a', 'b', null],
      nullable: true,
    });
  });

  it('drops documentation keywords but keeps properties that happen to share their names', () => {
    const schema = {
      type: 'object',
      description: 'doc',
      'x-github': { x: 1 },
      properties: {
        description: { type: 'string', description: 'doc', example: 'e' },
        title: { type: 'string' },
      },
    };

    expect(clean(schema)).toEqual({
      type: 'object',
      properties: { description: { type: 'string' }, title: { type: 'string' } },
    });
  });
});

describe('the committed subset', () => {
  const subset = JSON.parse(readFileSync(subsetPath, 'utf8')) as {
    info: Record<string, unknown>;
    paths: Record<string, Record<string, { operationId?: string }>>;
  };

  it('records the @octokit/openapi version it came from and holds exactly the listed operations', () => {
    const operationIds = Object.values(subset.paths).flatMap((item) =>
      Object.values(item).flatMap((operation) => (operation.operationId ? [operation.operationId] : [])),
    );

    expect(subset.info['x-octokit-openapi-version']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(operationIds.sort()).toEqual([...OPERATIONS].sort());
  });

  it('is a valid OpenAPI document', () => {
    const api = new OpenAPIBackend({ definition: structuredClone(subset) as never, quick: true });
    api.document = structuredClone(subset) as never;

    expect(() => api.validateDefinition()).not.toThrow();
  });
});
