import { randomUUID } from 'node:crypto';
import { signatureFor } from '../../../lambdas/webhook/signature';
import type { GitHubData, StandinPull } from './data';
import { pushCommit as pushToHistory } from './history';

/**
 * The GitHub stand-in's side of webhooks: payloads shaped as GitHub sends them (the fields auto-review reads, and a
 * few it must ignore), signed deliveries to a URL, and a simulated push to a pull request's branch.
 */

/** Where deliveries go: a hook's URL and secret. */
export interface DeliveryTarget {
  url: string;
  secret: string;
}

export interface DeliveryOptions {
  /** `X-GitHub-Delivery`; a fresh GUID by default (the same id again is a redelivery). */
  deliveryId?: string;
  /** Replaces the signature header; `null` sends none. */
  signature?: string | null;
  /** Sends these bytes instead of the payload's JSON (still signed unless `signature` says otherwise). */
  rawBody?: Buffer;
  timeoutMs?: number;
}

/** GitHub's answer to one delivery, as the hook's "Recent Deliveries" shows it. */
export interface DeliveryResult {
  deliveryId: string;
  status: number;
  body: unknown;
}

/**
 * Sends one delivery as GitHub does: POST with `X-GitHub-Event`, `X-GitHub-Delivery`, `X-Hub-Signature-256` (HMAC-SHA256
 * of the exact body bytes) and `application/json`.
 */
export async function sendDelivery(
  target: DeliveryTarget,
  event: string,
  payload: unknown,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const deliveryId = options.deliveryId ?? randomUUID();
  const body = options.rawBody ?? Buffer.from(JSON.stringify(payload));
  const signature = options.signature === undefined ? signatureFor(target.secret, body) : options.signature;
  const response = await fetch(target.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/standin',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '1',
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    },
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { deliveryId, status: response.status, body: parsed };
}

/** The stand-in's pull request, or an error naming it. */
export function findPull(state: GitHubData, repo: string, number: number): StandinPull {
  const pull = state.pulls.find(
    (candidate) => candidate.repo.toLowerCase() === repo.toLowerCase() && candidate.number === number,
  );
  if (!pull) throw new Error(`The GitHub stand-in has no pull request ${repo}#${number}`);
  return pull;
}

/** A `pull_request` delivery payload for one of the stand-in's pull requests. */
export function pullRequestPayload(
  state: GitHubData,
  repo: string,
  number: number,
  action: string,
  extra: { before?: string } = {},
): Record<string, unknown> {
  const pull = findPull(state, repo, number);
  const [owner = '', name = ''] = pull.repo.split('/');
  const record = state.repos.find((candidate) => `${candidate.owner}/${candidate.name}` === pull.repo);
  return {
    action,
    number: pull.number,
    ...(extra.before ? { before: extra.before, after: pull.head.sha } : {}),
    pull_request: {
      id: pull.id,
      number: pull.number,
      state: pull.state,
      draft: pull.draft,
      title: pull.title,
      body: pull.body,
      user: { login: pull.user },
      head: { ref: pull.head.ref, sha: pull.head.sha },
      base: { ref: pull.base.ref, sha: pull.base.sha },
      commits: pull.commits,
    },
    repository: {
      id: record?.id ?? 1,
      name,
      full_name: pull.repo,
      private: record?.private ?? false,
      owner: { login: owner },
    },
    sender: { login: pull.user },
  };
}

/**
 * A push to the pull request's branch: one new commit (on the stand-in's commit history, so compare and the PR's
 * files follow) adding a follow-up note. Returns the old and new head, for the `synchronize` payload.
 */
export function pushCommit(
  state: GitHubData,
  repo: string,
  number: number,
): { before: string; after: string; file: string } {
  const pull = findPull(state, repo, number);
  const before = pull.head.sha;
  const file = `agent-tasks/follow-up-${pull.commits + 1}.md`;
  const commit = pushToHistory(
    state,
    { repo: pull.repo, number },
    { [file]: '# Follow-up\n\nValidate the config before the first request, not lazily.\n' },
    `Add ${file}`,
  );
  return { before, after: commit.sha, file };
}
