import { parseChatEvent, type ReceivedEvent } from '../../client/events';
import type { RequestSigner } from '../../client/sign';
import { readSse } from '../../client/sse';
import { describeError, type Finding, fail, isNetworkError, pass, skip } from '../result';
import { CREDENTIALS_FIX } from './aws-errors';

/** How long `/health` may take (a cold start included). */
export const HEALTH_TIMEOUT_MS = 20_000;
/** How long one chat turn may take end to end (cold start, model, storage). */
export const CHAT_TIMEOUT_MS = 120_000;

/** The function URL and how to reach it. */
export interface EndpointTarget {
  /** The chat endpoint's base URL (the `ChatUrl` output or `--url`). */
  url: string;
  /** Signs requests (SigV4, service `lambda`); absent for a local server. */
  signer?: RequestSigner;
  /** Who doctor signs as, for the fix of a 403. */
  callerArn?: string;
  /** The `ChatInvokePolicyArn` output, for the fix of a 403. */
  invokePolicyArn?: string;
  fetch: typeof fetch;
}

/** `health`: a (signed) `GET /health` through the function URL answers `200 {"status":"healthy"}`. */
export async function checkHealth(
  target: EndpointTarget | undefined,
  timeoutMs = HEALTH_TIMEOUT_MS,
): Promise<Finding> {
  if (!target) return skip('Needs the ChatUrl output or --url (see stack-outputs)');
  const started = Date.now();
  const sent = await send(target, 'GET', '/health', undefined, 'application/json', timeoutMs);
  if ('finding' in sent) return sent.finding;
  const text = await sent.response.text().catch(() => '');
  if (sent.response.status !== 200) return httpFailure(target, sent.response.status, text);
  let healthy = false;
  try {
    healthy = (JSON.parse(text) as { status?: unknown }).status === 'healthy';
  } catch {
    healthy = false;
  }
  if (!healthy) {
    return fail(
      `GET /health answered 200 but not {"status":"healthy"}: ${text.slice(0, 200)}`,
      'Something other than the chat function answers at this URL: check the ChatUrl output or --url.',
    );
  }
  return pass(`200 healthy in ${Date.now() - started} ms${signedAs(target)}`);
}

/**
 * `chat-turn`: one real chat turn (`POST /chat/stream`, Server-Sent Events) through the function URL ends with
 * `done` and no `error` event. It runs the model once (billed like any short turn) and stores a session.
 */
export async function checkChatTurn(
  target: EndpointTarget | undefined,
  message: string,
  timeoutMs = CHAT_TIMEOUT_MS,
): Promise<Finding> {
  if (!target) return skip('Needs the ChatUrl output or --url (see stack-outputs)');
  const started = Date.now();
  const body = JSON.stringify({ message });
  const sent = await send(target, 'POST', '/chat/stream', body, 'text/event-stream', timeoutMs);
  if ('finding' in sent) return sent.finding;
  const { response, signal } = sent;
  if (response.status !== 200 || !response.body) {
    return httpFailure(target, response.status, await response.text().catch(() => ''));
  }
  const events: ReceivedEvent[] = [];
  try {
    for await (const sse of readSse(response.body)) {
      const parsed = parseChatEvent(sse.data);
      if (parsed.ok) events.push(parsed.event);
    }
  } catch (error) {
    if (signal.aborted) {
      return fail(
        `The chat turn did not finish within ${timeoutMs / 1000} s (${events.length} events so far)`,
        'Read the chat function logs (docs/troubleshooting.md); a first cold start plus a slow model can take long, so run doctor again.',
      );
    }
    return fail(
      `The chat stream broke: ${describeError(error)}`,
      'Read the chat function logs and run doctor again.',
    );
  }
  const errors = events.filter(
    (event): event is Extract<ReceivedEvent, { type: 'error' }> => event.type === 'error',
  );
  const first = errors[0];
  if (first) {
    return fail(`The turn ended with error ${first.code}: ${first.message}`, errorFix(first.code));
  }
  if (events.at(-1)?.type !== 'done') {
    return fail(
      `The stream ended without a "done" event (${events.map((event) => event.type).join(', ') || 'no events'})`,
      'The function timed out or crashed mid-reply: read the chat function logs; raise chatTimeoutSeconds if it timed out.',
    );
  }
  const session = events.find((event) => event.type === 'session');
  const consent = events.some((event) => event.type === 'oauth_url') ? ', asked for GitHub consent' : '';
  const id = session?.type === 'session' ? `session ${session.session_id}: ` : '';
  return pass(`${id}${events.length} events ending in done${consent}, ${Date.now() - started} ms`);
}

type Sent = { response: Response; signal: AbortSignal } | { finding: Finding };

async function send(
  target: EndpointTarget,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  accept: string,
  timeoutMs: number,
): Promise<Sent> {
  const url = new URL(path.slice(1), target.url.endsWith('/') ? target.url : `${target.url}/`).href;
  let headers: Record<string, string> = {
    accept,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  if (target.signer) {
    try {
      headers = await target.signer({ method, url, headers, body: body ?? '' });
    } catch (error) {
      return { finding: fail(`Could not sign the request: ${describeError(error)}`, CREDENTIALS_FIX) };
    }
  }
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return { response: await target.fetch(url, { method, headers, body, signal }), signal };
  } catch (error) {
    const timedOut = signal.aborted;
    return {
      finding: fail(
        timedOut
          ? `${method} ${path} got no answer within ${timeoutMs / 1000} s`
          : `Cannot reach ${url}: ${describeError(error)}`,
        isNetworkError(error) || timedOut
          ? 'Check the URL (the ChatUrl output or --url) and the network; for npm run dev, that the local server runs.'
          : 'Read the error above and run doctor again.',
      ),
    };
  }
}

function httpFailure(target: EndpointTarget, status: number, text: string): Finding {
  const snippet = text.replace(/\s+/g, ' ').slice(0, 200);
  if (status === 403) {
    return fail(
      `HTTP 403 from the function URL${signedAs(target)}: ${snippet}`,
      `${attachFix(target)} Function URLs created since October 2025 need both lambda:InvokeFunctionUrl and lambda:InvokeFunction; also check the credentials are for the stack's account.`,
    );
  }
  return fail(
    `HTTP ${status}: ${snippet}`,
    'Read the chat function logs (docs/troubleshooting.md) for this request.',
  );
}

function signedAs(target: EndpointTarget): string {
  if (!target.signer) return ' (local server, unsigned)';
  return target.callerArn ? ` (signed as ${target.callerArn})` : ' (signed)';
}

/** The IAM command that gives the caller the invoke policy, when the caller's ARN says what it is. */
export function attachFix(target: Pick<EndpointTarget, 'callerArn' | 'invokePolicyArn'>): string {
  const policy = target.invokePolicyArn ?? '<ChatInvokePolicyArn output>';
  const arn = target.callerArn ?? '';
  // arn:aws:iam::<account>:user/<path/>name, or arn:aws:sts::<account>:assumed-role/<role>/<session>
  const resource = arn.split(':').slice(5).join(':');
  const [kind, ...parts] = resource.split('/');
  const user = kind === 'user' ? parts.at(-1) : undefined;
  if (user)
    return `Attach the invoke policy: aws iam attach-user-policy --user-name ${user} --policy-arn ${policy}.`;
  const role = kind === 'assumed-role' ? parts[0] : undefined;
  if (role?.startsWith('AWSReservedSSO_')) {
    return `Add the invoke policy (${policy}) to the IAM Identity Center permission set behind ${role} (as a customer managed policy by name).`;
  }
  if (role)
    return `Attach the invoke policy: aws iam attach-role-policy --role-name ${role} --policy-arn ${policy}.`;
  return `Attach the invoke policy ${policy} to the IAM user or role doctor signs as.`;
}

function errorFix(code: string): string {
  switch (code) {
    case 'model_access_denied':
    case 'model_validation':
      return 'The chat function cannot use its model: run `npm run doctor -- --phase before` (bedrock-model) and see "Error events" in docs/troubleshooting.md.';
    case 'model_throttled':
      return 'Bedrock throttled the model: ask for a quota increase, or retry later.';
    case 'storage_error':
      return "The function could not use its DynamoDB tables: read its logs; the tables are the stack's SessionsTableName and PlansTableName outputs.";
    default:
      return `See "${code}" under "Error events" in docs/troubleshooting.md and the chat function logs.`;
  }
}
