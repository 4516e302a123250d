import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_FILES, protocolDocuments } from '../../bin/gen-protocol';
import { chatEventSchema, ERROR_CODES } from '../../lambdas/chat/protocol';

const committed = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** One valid example of every event type, so each is checked against the generated JSON Schema. */
const EXAMPLES = [
  { type: 'session', session_id: 's1' },
  { type: 'token', content: 'Hi' },
  { type: 'tool_use', tool_name: 'list_github_repos', tool_input: { limit: 10 } },
  { type: 'tool_result', tool_name: 'list_github_repos', ok: true, summary: 'Listed 3 repositories' },
  { type: 'oauth_url', url: 'https://x', session_uri: 'urn:x', state_hash: 'h' },
  {
    type: 'plan',
    plan_id: 'p_1',
    plan: { objective: 'o', steps: ['s'], risks: [], estimated_time_minutes: 5 },
    markdown: '## Plan',
  },
  {
    type: 'status',
    plan_id: 'p_1',
    status: 'executing',
    current_step: 'Reviewing',
    progress: 40,
    issues: [],
    updated_at: '2026-01-01T00:00:00.000Z',
  },
  { type: 'review_posted', plan_id: 'p_1', url: 'https://x' },
  {
    type: 'write_pending',
    action_id: 'w_1',
    tool_name: 'create_github_issue',
    tool_input: { owner: 'o', repo: 'r', title: 't' },
    summary: 'Create issue "t" in o/r',
    expires_at: '2026-01-01T00:15:00.000Z',
  },
  { type: 'error', code: 'dependency_timeout', message: 'GitHub did not answer in time.' },
  { type: 'done' },
];

describe('protocol documents (docs/protocol/)', () => {
  it('match the zod schemas: run `npm run gen:protocol` after changing lambdas/chat/protocol.ts', () => {
    const generated = protocolDocuments();

    expect(committed(PROTOCOL_FILES.jsonSchema)).toBe(generated.jsonSchema);
    expect(committed(PROTOCOL_FILES.openApi)).toBe(generated.openApi);
  });

  it('the JSON Schema accepts an example of every event type and nothing of an unknown type', () => {
    const ajv = new Ajv2020({ strict: false });
    const schema = JSON.parse(committed(PROTOCOL_FILES.jsonSchema)) as { $defs: Record<string, unknown> };
    ajv.addSchema(schema, 'protocol');
    const isEvent = ajv.getSchema('protocol#/$defs/ChatEvent');

    const types = EXAMPLES.map((example) => example.type);
    expect(new Set(types)).toEqual(new Set(chatEventSchema.options.map((option) => option.shape.type.value)));
    for (const example of EXAMPLES) expect(isEvent?.(example), JSON.stringify(example)).toBe(true);
    expect(isEvent?.({ type: 'mystery' })).toBe(false);
  });

  it('the JSON Schema refuses an action naming both a plan and a write action', () => {
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema(JSON.parse(committed(PROTOCOL_FILES.jsonSchema)), 'protocol');
    const isRequest = ajv.getSchema('protocol#/$defs/ChatRequest');

    const action = (fields: Record<string, string>) => ({
      session_id: 's1',
      action: { type: 'approve', ...fields },
    });

    expect(isRequest?.(action({ plan_id: 'p_1' }))).toBe(true);
    expect(isRequest?.(action({ action_id: 'w_1' }))).toBe(true);
    expect(isRequest?.(action({ plan_id: 'p_1', action_id: 'w_1' }))).toBe(false);
    expect(isRequest?.({ message: 'Hello', session_id: 'test-session' })).toBe(true);
  });

  it('docs/api.md names every event type and every error code', () => {
    const api = committed('docs/api.md');

    for (const option of chatEventSchema.options) expect(api).toContain(`| \`${option.shape.type.value}\``);
    for (const code of Object.keys(ERROR_CODES)) expect(api).toContain(`| \`${code}\``);
  });
});
