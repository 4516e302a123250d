import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PHRASES } from '../../bin/local/demo-phrases';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import { firstOfType, localUserId, sendMessage, sendWithConsent } from '../support/e2e';
import { textOf } from '../support/sse-client';

/**
 * The offline demo (`npm run dev` without AWS) end to end: the demo model behind the Bedrock stand-in, the GitHub and
 * AgentCore stand-ins, the real handler. Each test uses its own user on a shared server; the GitHub stand-in's world
 * is shared, so each test creates what it looks at.
 */

const REPO = 'sample-dev/widgets';

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer({ offline: true, allowUserHeader: true, logLevel: 'SILENT' });
});
afterAll(() => server.close());
afterEach(() => server.github?.assertNoViolations());

function github() {
  if (!server.github) throw new Error('offline servers have a GitHub stand-in');
  return server.github;
}

describe('offline demo', () => {
  it('"help" lists every phrase the demo model understands', async () => {
    const reply = await sendMessage(server, 'helper', { message: 'help' });

    const text = textOf(reply.events);
    for (const phrase of DEMO_PHRASES) expect(text).toContain(`"${phrase.say}"`);
  });

  it('creates an issue as the user', async () => {
    const { reply } = await sendWithConsent(server, 'issuer', {
      message: `create an issue in ${REPO} titled Empty config crashes`,
    });

    const created = github().state.issues.find((issue) => issue.title === 'Empty config crashes');
    expect(firstOfType(reply.events, 'tool_result')).toMatchObject({
      tool_name: 'create_github_issue',
      ok: true,
    });
    expect(created).toMatchObject({ repo: REPO, user: 'sample-dev', state: 'open' });
    expect(textOf(reply.events)).toContain(`/${REPO}/issues/${created?.number}`);
  });

  it('"triage": the write after reading other people\'s issues waits for the user\'s yes', async () => {
    const before = github().state.issues.length;
    const { reply, sessionId } = await sendWithConsent(server, 'triager', {
      message: `triage ${REPO} issues`,
    });
    const afterTriage = github().state.issues.length;

    const yes = await sendMessage(server, 'triager', { message: 'yes', session_id: sessionId });

    expect(reply.events.map((event) => event.type)).toContain('tool_use');
    expect(afterTriage).toBe(before);
    expect(textOf(reply.events)).toMatch(/confirm|approve/i);
    expect(yes.events.map((event) => event.type)).not.toContain('error');
    expect(github().state.issues.filter((issue) => issue.title.startsWith('Triage:'))).toHaveLength(1);
  });

  it('opens a PR whose files lie outside the review scope: the review says so, "all files" reviews them', async () => {
    const user = 'widener';
    const opened = await sendWithConsent(server, user, {
      message: `open a pull request in ${REPO} from fix/empty-config`,
    });
    const pull = github().state.pulls.find((item) => item.head.ref === 'fix/empty-config');
    const number = pull?.number ?? 0;

    const narrow = await sendMessage(server, user, {
      message: `review ${REPO}#${number}`,
      session_id: opened.sessionId,
    });
    const wide = await sendMessage(server, user, {
      message: `review ${REPO}#${number} all files`,
      session_id: opened.sessionId,
    });
    const approved = await sendMessage(server, user, { message: 'approve', session_id: opened.sessionId });

    expect(pull).toBeDefined();
    expect(firstOfType(narrow.events, 'plan')).toBeUndefined();
    const narrowText = textOf(narrow.events);
    expect(narrowText).toContain(`Nothing to review in ${REPO}#${number}`);
    expect(narrowText).toContain('- src/config.ts');
    expect(narrowText).toContain(`"review ${REPO}#${number} all files"`);
    expect(firstOfType(wide.events, 'plan')?.markdown).toContain('2 files to review');
    expect(firstOfType(approved.events, 'review_posted')?.url).toContain(
      `/${REPO}/pull/${number}#pullrequestreview-`,
    );
  });

  it('the review_posted URL is a readable page: the review body, and each inline comment beside its line', async () => {
    const { sessionId } = await sendWithConsent(server, 'reader', { message: `review ${REPO}#4` });
    const approved = await sendMessage(server, 'reader', { message: 'approve', session_id: sessionId });
    const url = firstOfType(approved.events, 'review_posted')?.url ?? '';

    const page = await fetch(url);
    const html = await page.text();

    const review = github().state.reviews.find((item) => url.endsWith(`#pullrequestreview-${item.id}`));
    const firstLine = (review?.body ?? '').split('\n')[0] ?? '';
    expect(firstLine.length).toBeGreaterThan(0);
    expect(html).toContain(firstLine.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(html).toContain(`id="pullrequestreview-${url.split('#pullrequestreview-')[1]}"`);
    // The demo's finding sits in the row right after the added line it is about.
    expect(html).toMatch(
      /<tr class="add"><td><\/td><td>1<\/td><td>\+# Validate the configuration file<\/td><\/tr>\s*<tr class="comment">.*Offline demo finding/,
    );
  });
});

describe('offline demo with --data', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dev-data-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps consents and what the demo created across a restart', async () => {
    const first = await startLocalServer({
      offline: true,
      allowUserHeader: true,
      logLevel: 'SILENT',
      dataDir: dir,
    });
    let consented: boolean;
    try {
      ({ consented } = await sendWithConsent(first, 'keeper', {
        message: `create an issue in ${REPO} titled Kept across restarts`,
      }));
    } finally {
      await first.close();
    }

    const second = await startLocalServer({
      offline: true,
      allowUserHeader: true,
      logLevel: 'SILENT',
      dataDir: dir,
    });
    try {
      const again = await sendMessage(second, 'keeper', { message: `show ${REPO} issues` });

      expect(consented).toBe(true);
      expect(second.agentcore?.tokenFor(localUserId('keeper'))).toMatch(/^gho_local_/);
      expect(firstOfType(again.events, 'oauth_url')).toBeUndefined();
      expect(second.github?.state.issues.map((issue) => issue.title)).toContain('Kept across restarts');
      expect(second.connections.join('\n')).toContain('restored');
    } finally {
      await second.close();
    }
  });
});
