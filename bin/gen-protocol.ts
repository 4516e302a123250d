/**
 * Writes the wire protocol's documents from its zod schemas (lambdas/chat/protocol.ts, lambdas/agent/events.ts):
 * `npm run gen:protocol` → docs/protocol/chat-protocol.schema.json (JSON Schema 2020-12) and
 * docs/protocol/openapi.json (OpenAPI 3.1, the SSE events described per type). test/unit/protocol-docs.test.ts fails
 * when the committed files differ from what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { chatEventSchema, SESSION_LIST_DEFAULT, SESSION_LIST_MAX } from '../lambdas/chat/protocol';
import packageJson from '../package.json' with { type: 'json' };

type Json = Record<string, unknown>;

/** Where the documents go, relative to the repository root. */
export const PROTOCOL_FILES = {
  jsonSchema: 'docs/protocol/chat-protocol.schema.json',
  openApi: 'docs/protocol/openapi.json',
} as const;

/** The documents' text, exactly as committed (2-space JSON and a final newline). */
export function protocolDocuments(): Record<keyof typeof PROTOCOL_FILES, string> {
  const defs = schemaDefinitions();
  const jsonSchema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'chat-protocol.schema.json',
    title: 'GitHub coding agent: chat protocol',
    description:
      'Request bodies, JSON answers and Server-Sent Events of the chat function (docs/api.md). Generated from lambdas/chat/protocol.ts by `npm run gen:protocol`; do not edit.',
    $defs: defs,
  };
  return {
    jsonSchema: text(jsonSchema),
    openApi: text(openApi(rewriteRefs(defs, '#/$defs/', '#/components/schemas/') as Record<string, Json>)),
  };
}

/** Every schema with an id in the protocol modules, as JSON Schema definitions that refer to each other. */
function schemaDefinitions(): Record<string, Json> {
  // Requests are what clients send and events what they receive: both as a client sees them ("input").
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    io: 'input',
    uri: (id) => `#/$defs/${id}`,
    unrepresentable: 'any',
  });
  const defs: Record<string, Json> = {};
  for (const id of Object.keys(schemas).sort()) {
    const { $schema: _schema, $id: _id, ...rest } = schemas[id] as Json;
    defs[id] = rest;
  }
  return defs;
}

function openApi(schemas: Record<string, Json>): Json {
  const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
  const json = (id: string, description: string) => ({
    description,
    content: { 'application/json': { schema: ref(id) } },
  });
  const refusal = (description: string) => json('HttpError', description);
  const events = chatEventSchema.options
    .map((option) => {
      const type = option.shape.type.value;
      const meta = z.globalRegistry.get(option);
      return `- \`${type}\` (${String(meta?.id)}): ${String(meta?.description ?? '')}`;
    })
    .join('\n');
  return {
    openapi: '3.1.0',
    info: {
      title: 'GitHub coding agent chat function',
      version: packageJson.version,
      description:
        'A Lambda function URL (RESPONSE_STREAM, auth AWS_IAM): every request is signed with SigV4 for service `lambda`; the caller is the IAM principal. Generated from lambdas/chat/protocol.ts by `npm run gen:protocol`; docs/api.md explains it.',
    },
    servers: [
      {
        url: 'https://{id}.lambda-url.{region}.on.aws',
        variables: { id: { default: 'abc' }, region: { default: 'ap-southeast-2' } },
      },
      { url: 'http://127.0.0.1:8787', description: 'npm run dev' },
    ],
    security: [{ sigv4: [] }],
    paths: {
      '/health': {
        get: {
          operationId: 'health',
          responses: { 200: json('Health', 'The function is up.') },
        },
      },
      '/chat/stream': {
        post: {
          operationId: 'chatStream',
          description:
            'Sends a message or an approve/cancel action; the answer is a stream of Server-Sent Events, each `data: <ChatEvent JSON>` followed by a blank line, starting with `session` and always ending with `done`. `: ping` comments keep idle streams open.',
          requestBody: { required: true, content: { 'application/json': { schema: ref('ChatRequest') } } },
          responses: {
            200: {
              description: `The turn as Server-Sent Events, one ChatEvent per \`data:\` line. Event types:\n${events}`,
              content: {
                'text/event-stream': {
                  schema: {
                    type: 'string',
                    description: 'An event stream; each `data:` payload is a ChatEvent.',
                  },
                  // OpenAPI 3.2's name for the schema of each streamed item, as an extension in 3.1.
                  'x-itemSchema': ref('ChatEvent'),
                },
              },
            },
            400: refusal('`invalid_json` or `invalid_request` (the message names the field).'),
            401: refusal('`unauthenticated`: no IAM identity.'),
            404: refusal('`not_found`: unknown path.'),
            405: refusal('`method_not_allowed`; the Allow header names the method.'),
            413: refusal('`payload_too_large`: over 64 KB.'),
            415: refusal('`unsupported_media_type`: not application/json.'),
            500: refusal('`internal_error`.'),
          },
        },
      },
      '/oauth/complete': {
        post: {
          operationId: 'oauthComplete',
          description:
            'Finishes the GitHub consent this caller started, with the state the browser brought back.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('OAuthCompleteRequest') } },
          },
          responses: {
            200: json('OAuthCompleted', 'The consent is complete; re-send the interrupted message.'),
            400: refusal(
              '`invalid_request`, `consent_failed` (browser step not finished) or `consent_expired`.',
            ),
            403: refusal('`consent_forbidden`: not your consent, wrong state, or expired.'),
            502: refusal('An identity error such as `provider_not_found` (deployment misconfigured).'),
          },
        },
      },
      '/sessions': {
        get: {
          operationId: 'listSessions',
          description:
            "The caller's unexpired sessions, most recently saved first (only the caller's, ever).",
          parameters: [
            {
              name: 'limit',
              in: 'query',
              required: false,
              description: `How many sessions (default ${SESSION_LIST_DEFAULT}).`,
              schema: {
                type: 'integer',
                minimum: 1,
                maximum: SESSION_LIST_MAX,
                default: SESSION_LIST_DEFAULT,
              },
            },
          ],
          responses: {
            200: json('SessionList', 'Newest first.'),
            400: refusal('`invalid_request`: `limit` is not a whole number from 1 to 50.'),
            401: refusal('`unauthenticated`: no IAM identity.'),
          },
        },
      },
      '/sessions/{session_id}': {
        get: {
          operationId: 'readSession',
          description:
            "One of the caller's sessions: its messages' text (tool calls left out) and the plans and writes waiting for approve/cancel.",
          parameters: [{ name: 'session_id', in: 'path', required: true, schema: ref('SessionId') }],
          responses: {
            200: json('Session', 'The session.'),
            400: refusal('`invalid_request`: the session id is malformed.'),
            401: refusal('`unauthenticated`: no IAM identity.'),
            404: refusal("`session_not_found`: the caller has no such session (also for another user's id)."),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'AWS Signature Version 4, service `lambda`, the function URL region.',
        },
      },
      schemas,
    },
  };
}

function rewriteRefs(value: unknown, from: string, to: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, from, to));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string' && item.startsWith(from)
        ? `${to}${item.slice(from.length)}`
        : rewriteRefs(item, from, to),
    ]),
  );
}

function text(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const documents = protocolDocuments();
  for (const [name, path] of Object.entries(PROTOCOL_FILES)) {
    mkdirSync(join(root, 'docs/protocol'), { recursive: true });
    writeFileSync(join(root, path), documents[name as keyof typeof PROTOCOL_FILES]);
    console.log(`Wrote ${path}`);
  }
}
