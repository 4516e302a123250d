import { formatDemoPhrases } from '../../bin/local/demo-phrases';
import type { ConverseRequestBody, Responder, ScriptedTurn } from './bedrock-standin';

/**
 * The offline demo's "model": a rule-based responder for the Bedrock stand-in, so `npm run dev -- --offline` shows
 * real tool calls, a GitHub consent and a PR review without an AWS account. It reads the request the way a model
 * would (the last user message, tool results, the system prompt) and answers in Converse's shapes. It is scaffolding
 * for demos and benchmarks, not a model: it never pretends to understand anything beyond these patterns, which
 * bin/local/demo-phrases.ts lists (its `help` answer and the client's `--help` show them).
 */
export function offlineResponder(demo: OfflineDemoActions = {}): Responder {
  return (body) => {
    const push = demo.pushCommit && PUSH_COMMIT.exec(lastUserText(body));
    // Only for the user's own words, not after a tool result of the same turn.
    if (push && demo.pushCommit && !('toolResult' in (body.messages.at(-1)?.content?.[0] ?? {}))) {
      const [owner, repo] = push[1] ? [push[1], push[2] ?? ''] : DEMO_REPO;
      return demo.pushCommit(`${owner}/${repo}`, Number(push[3] ?? push[4])).then((text) => say(text));
    }
    return answer(body);
  };
}

/** What the demo can do besides talking, supplied by the local server. */
export interface OfflineDemoActions {
  /** "push a commit to PR #4": a push on the GitHub stand-in and its signed `synchronize` delivery; says what happened. */
  pushCommit?(repo: string, pullNumber: number): Promise<string>;
}

/** "push a commit to PR #4" (the sample repository) or "push a commit to owner/repo#4". */
const PUSH_COMMIT =
  /\bpush (?:a )?commit to (?:([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)#(\d+)|(?:the )?(?:PR|pull request) ?#(\d+))/i;
const DEMO_REPO = ['sample-dev', 'widgets'] as const;

const PR_REF = /(?:github\.com\/)?([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)(?:#|\/pull\/)(\d+)/;
const REPO_REF = /([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)/;
/** The loop's answer to a write after third-party text (prompts/write-withheld.md starts so). */
const WITHHELD = /^Withheld\b/;

type ToolResultBlock = { status?: string; content?: Array<Record<string, unknown>> };

function answer(body: ConverseRequestBody): ScriptedTurn {
  const system = body.system?.map((block) => block.text).join('\n') ?? '';
  const last = body.messages.at(-1);
  const lastText = textOf(last?.content ?? []);
  if (system.startsWith('You plan code reviews')) return planJson(lastText);
  if (system.startsWith('You review one part')) return findingsJson(lastText);

  const toolResults = (last?.content ?? []).flatMap((block) =>
    'toolResult' in block ? [block.toolResult as ToolResultBlock] : [],
  );
  if (toolResults.length > 0) {
    const asked = lastUserText(body);
    const repo = REPO_REF.exec(asked);
    // "triage": after reading the issues, propose one that sums them up (a write after other people's text).
    if (previousToolName(body) === 'list_github_issues' && /^\s*triage\b/i.test(asked) && repo) {
      const listed = resultPayload(toolResults[0]).issues;
      const count = Array.isArray(listed) ? listed.length : 0;
      return toolCall(
        'create_github_issue',
        {
          owner: repo[1],
          repo: repo[2],
          title: `Triage: ${count} open issue${count === 1 ? '' : 's'}`,
          body: 'Created by the offline demo after reading the open issues.',
        },
        'I will file a triage issue that sums them up.',
      );
    }
    return summarise(toolResults, previousToolName(body));
  }

  const message = lastText.toLowerCase();
  if (/^\s*help\b/.test(message)) {
    return say('I am the offline demo model. I understand:\n', `${formatDemoPhrases('- ')}\n`);
  }
  const pr = PR_REF.exec(lastText);
  if (pr && /review/.test(message)) {
    const allFiles = /\ball files\b/.test(message);
    return toolCall(
      'plan_pr_review',
      { owner: pr[1], repo: pr[2], pull_number: Number(pr[3]), ...(allFiles ? { all_files: true } : {}) },
      allFiles ? 'Let me plan that review, for all files.' : 'Let me plan that review.',
    );
  }
  const target = REPO_REF.exec(lastText);
  const titled = /\btitled\s+["“]?(.+?)["”]?\s*$/i.exec(lastText);
  if (target && /\bcreate\b.*\bissue\b/.test(message) && titled?.[1]) {
    return toolCall(
      'create_github_issue',
      { owner: target[1], repo: target[2], title: titled[1], body: 'Created from the offline demo.' },
      'Creating that issue.',
    );
  }
  const branch = /\bfrom\s+([A-Za-z0-9._/-]+)(?:\s+into\s+([A-Za-z0-9._/-]+))?/i.exec(lastText);
  if (target && /\b(open|create)\b.*\bpull request\b/.test(message) && branch?.[1]) {
    return toolCall(
      'create_pull_request',
      {
        owner: target[1],
        repo: target[2],
        head: branch[1],
        ...(branch[2] ? { base: branch[2] } : {}),
        title: `Changes from ${branch[1]}`,
        body: 'Opened from the offline demo.',
      },
      'Opening that pull request.',
    );
  }
  if (/\b(repos|repositories)\b/.test(message)) {
    return toolCall('list_github_repos', { limit: 10 }, 'Let me look at your repositories.');
  }
  const repo = target;
  if (repo && /\bissues?\b/.test(message)) {
    return toolCall(
      'list_github_issues',
      { owner: repo[1], repo: repo[2], state: 'open' },
      'Checking the issues.',
    );
  }
  if (repo && /\b(about|info|show)\b/.test(message)) {
    return toolCall('get_repo_info', { owner: repo[1], repo: repo[2] }, 'Looking that repository up.');
  }
  if (/\btime\b|\bdate\b/.test(message)) return toolCall('get_current_time', {}, 'Checking the clock.');
  return say(
    'I am the offline demo model. Try "list my repos", "show sample-dev/widgets issues", ',
    '"what time is it?" or "review sample-dev/widgets#4"; "help" lists everything I understand.',
  );
}

/** The newest user message that is text (not tool results): what this turn was asked. */
function lastUserText(body: ConverseRequestBody): string {
  for (const message of [...body.messages].reverse()) {
    if (message.role !== 'user') continue;
    const text = textOf(message.content);
    if (text) return text;
  }
  return '';
}

function resultPayload(result: ToolResultBlock | undefined): Record<string, unknown> {
  return (result?.content?.[0]?.json ?? {}) as Record<string, unknown>;
}

function say(...deltas: string[]): ScriptedTurn {
  return { kind: 'reply', text: deltas };
}

function toolCall(name: string, input: unknown, preface: string): ScriptedTurn {
  return { kind: 'reply', text: [preface], toolUses: [{ name, input }] };
}

function textOf(content: Array<Record<string, unknown>>): string {
  return content.flatMap((block) => (typeof block.text === 'string' ? [block.text] : [])).join('\n');
}

function previousToolName(body: ConverseRequestBody): string | undefined {
  const assistant = body.messages.at(-2);
  for (const block of assistant?.content ?? []) {
    const use = block.toolUse as { name?: string } | undefined;
    if (use?.name) return use.name;
  }
  return undefined;
}

/** Says what a tool returned, in a sentence or a short list, as a model would. */
function summarise(
  results: Array<{ status?: string; content?: Array<Record<string, unknown>> }>,
  tool?: string,
) {
  const [result] = results;
  const payload = resultPayload(result);
  const error = String(payload.error ?? 'unknown error');
  if (payload.status === 'awaiting_user_approval') {
    const id = String(payload.action_id ?? '');
    return say(
      `I have not done that yet: this conversation has read text other people wrote on GitHub, so it waits for your `,
      `approval. Reply "approve ${id}" (or "yes") to go ahead, or "cancel ${id}".`,
    );
  }
  if (result?.status === 'error' && WITHHELD.test(error)) {
    return say(`I have not done that: ${error}`);
  }
  if (result?.status === 'error') return say(`That did not work: ${error}`);
  if (tool === 'plan_pr_review' && payload.status === 'nothing_to_review') {
    return say(String(payload.message ?? 'There is nothing to review.'));
  }
  if (tool === 'plan_pr_review') {
    return say('The review plan is above. Reply "approve" to run it or "cancel" to drop it.');
  }
  if (typeof payload.html_url === 'string' && typeof payload.number === 'number') {
    return say(`Done: #${payload.number} "${String(payload.title ?? '')}" is at ${payload.html_url}`);
  }
  const list = Object.values(payload).find(Array.isArray) as Array<Record<string, unknown>> | undefined;
  if (list) {
    const lines = list
      .slice(0, 10)
      .map((item) => `- ${String(item.full_name ?? item.title ?? item.name ?? JSON.stringify(item))}`);
    return say(`Here is what I found (${list.length}):\n`, `${lines.join('\n')}\n`);
  }
  const fields = Object.entries(payload)
    .slice(0, 6)
    .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  return say(`Done. ${fields.join('; ')}`);
}

function planJson(prompt: string): ScriptedTurn {
  const files = [...prompt.matchAll(/^- (\S+)/gm)].map((match) => match[1]).slice(0, 4);
  return say(
    JSON.stringify({
      objective: 'Check the changed files for correctness, clear errors and missing tests.',
      steps: [
        `Read the changes in ${files.length > 0 ? files.join(', ') : 'the changed files'}`,
        'Check error handling and edge cases',
        'Post line comments for concrete problems',
      ],
      risks: [],
      estimated_time_minutes: 5,
    }),
  );
}

/** One finding on the first added line of the first file shown, so every demo review anchors a comment. */
function findingsJson(prompt: string): ScriptedTurn {
  let path: string | undefined;
  for (const line of prompt.split('\n')) {
    const file = /^### FILE (\S+)/.exec(line);
    if (file) {
      path = file[1];
      continue;
    }
    const added = /^\s*\d*\s+(\d+) \+(.*)$/.exec(line);
    if (path && added?.[2]?.trim()) {
      return say(
        JSON.stringify({
          findings: [
            {
              path,
              line: Number(added[1]),
              side: 'RIGHT',
              severity: 'minor',
              message: 'Offline demo finding: this added line has no test covering it.',
            },
          ],
        }),
      );
    }
  }
  return say('{"findings": []}');
}
