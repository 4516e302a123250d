import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type TestBrowser } from '../support/web-browser';
import {
  HOSTILE_MARKDOWN,
  MODEL_REFUSES,
  SLOW_STORY,
  startWebRig,
  type WebRig,
} from '../support/web-harness';

/**
 * The chat page in real Chromium (`npm run chat -- --web` in front of `npm run dev`'s offline server). One browser
 * and one tab for the file; the tests run in order and share the local user, so the consent test comes before the
 * other GitHub flows. Screenshots of each state go to test-results/web/.
 */

const REPO = 'sample-dev/widgets';

let rig: WebRig;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  [rig, browser] = await Promise.all([startWebRig(), launchBrowser()]);
  page = await browser.newPage();
  await page.goto(rig.web.pageUrl);
  await page.locator('body[data-ready="true"]').waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

/** Starts an empty chat and sends `message` with the keyboard (Enter submits). */
async function send(message: string): Promise<void> {
  await page.getByRole('button', { name: 'Start a new chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(message);
  await box.press('Enter');
}

const lastTurn = () => page.locator('article.turn').last();

async function lastTurnSettled(): Promise<string | null> {
  await page
    .locator('article.turn')
    .last()
    .and(page.locator('[data-state="done"], [data-state="error"]'))
    .waitFor();
  return lastTurn().getAttribute('data-state');
}

describe('web chat page', () => {
  it('streams a turn: the answer grows on the page before the stream is done', async () => {
    await send(SLOW_STORY);
    const answer = lastTurn().locator('.md');
    await answer.filter({ hasText: 'Once' }).waitFor();
    const early = {
      text: (await answer.textContent()) ?? '',
      state: await lastTurn().getAttribute('data-state'),
    };

    const state = await lastTurnSettled();

    const final = (await answer.textContent()) ?? '';
    expect(early.state).toBe('streaming');
    expect(early.text.length).toBeGreaterThan(0);
    expect(final.length).toBeGreaterThan(early.text.length);
    expect(final).toContain('Once upon a time a reviewer read every line.');
    expect(await answer.locator('strong').textContent()).toBe('line');
    expect(state).toBe('done');
  });

  it('renders hostile Markdown as text: no markup, no script link', async () => {
    await send(HOSTILE_MARKDOWN);
    await lastTurnSettled();
    const answer = lastTurn().locator('.md');

    expect(await answer.textContent()).toContain('<img src=x onerror=');
    expect(await answer.locator('img').count()).toBe(0);
    expect(
      await answer.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href'))),
    ).toEqual(['https://example.com/docs']);
    expect(await page.title()).not.toBe('pwned');
  });

  it('the consent card opens GitHub and completes the offline consent, then the message runs', async () => {
    await send('list my repos');
    const card = page.locator('.card.consent');
    const link = card.getByRole('link', { name: 'Open GitHub' });
    await link.waitFor();
    await screenshot(page, 'web-consent');

    const [popup] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await card.and(page.locator('[data-state="completed"]')).waitFor();
    await popup.close();
    await page.locator('article.turn', { hasText: 'Listed 3 repositories' }).waitFor();
    const state = await lastTurnSettled();

    expect(state).toBe('done');
    expect(await lastTurn().locator('.tool-name').textContent()).toBe('list_github_repos');
    expect(await lastTurn().locator('.md').last().textContent()).toContain(REPO);
  });

  it('a review plan approved by clicking runs to 100 % and links the posted review', async () => {
    await send(`review ${REPO}#4`);
    const plan = page.locator('.card.plan').last();
    await plan.getByRole('button', { name: /^Approve plan/ }).waitFor();
    const objective = await plan.locator('.objective').textContent();
    const steps = await plan.locator('ol li').count();
    await screenshot(page, 'web-plan');

    await plan.getByRole('button', { name: /^Approve plan/ }).click();
    const progress = page.locator('.card.progress').last();
    const link = progress.locator('a.review-link');
    await link.waitFor();
    await lastTurnSettled();
    await screenshot(page, 'web-review-posted');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'web-review-posted-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    expect(objective?.length).toBeGreaterThan(0);
    expect(steps).toBeGreaterThan(0);
    expect(await progress.locator('progress').getAttribute('value')).toBe('100');
    expect(await progress.getAttribute('data-state')).toBe('completed');
    expect(await link.getAttribute('href')).toContain(`/${REPO}/pull/4#pullrequestreview-`);
    expect(await plan.getByRole('button', { name: /^Approve plan/ }).isDisabled()).toBe(true);
  });

  it('cancel drops a plan: the card says so and nothing runs', async () => {
    const reviewsBefore = rig.server.github?.state.reviews.length;
    // PR #4 was reviewed by the test before: a plain "review" would find nothing new (incremental re-review).
    await send(`full review ${REPO}#4`);
    const plan = page.locator('.card.plan').last();
    await plan.getByRole('button', { name: /^Cancel plan/ }).click();

    await plan.and(page.locator('[data-state="cancelled"]')).waitFor();
    await lastTurnSettled();

    expect(await plan.locator('.card-status').textContent()).toContain('cancelled');
    expect(await plan.getByRole('button', { name: /^Approve plan/ }).isDisabled()).toBe(true);
    expect(rig.server.github?.state.reviews.length).toBe(reviewsBefore);
  });

  it('a withheld write is confirmed by clicking Approve', async () => {
    const github = rig.server.github;
    await send(`triage ${REPO} issues`);
    const card = page.locator('.card.write').last();
    await card.getByRole('button', { name: /^Approve/ }).waitFor();
    await lastTurnSettled();
    const before = github?.state.issues.filter((issue) => issue.title.startsWith('Triage:')).length;
    await screenshot(page, 'web-write-pending');

    await card.getByRole('button', { name: /^Approve/ }).click();
    await page.locator('article.turn', { hasText: 'Approve create_github_issue' }).waitFor();
    const state = await lastTurnSettled();

    expect(before).toBe(0);
    expect(state).toBe('done');
    expect(await card.getAttribute('data-state')).toBe('approved');
    expect(github?.state.issues.filter((issue) => issue.title.startsWith('Triage:'))).toHaveLength(1);
  });

  it('an error event is shown as an alert with its code and a Retry button', async () => {
    await send(MODEL_REFUSES);
    const state = await lastTurnSettled();
    const alert = lastTurn().getByRole('alert');
    await screenshot(page, 'web-error');

    expect(state).toBe('error');
    expect(await alert.textContent()).toContain('model_access_denied');
    expect(await alert.getByRole('button', { name: 'Retry this message' }).isVisible()).toBe(true);
  });

  it('a lost connection is shown, and Retry sends the message again', async () => {
    // The stream breaks off after its first event, as when the network drops.
    await page.route('**/api/chat/stream', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/event-stream',
        body: 'data: {"type":"session","session_id":"cut-1"}\n\n',
      }),
    );
    await send('what time is it?');
    await lastTurnSettled();
    const lost = lastTurn().locator('.card.lost');
    const message = await lost.textContent();
    await page.unroute('**/api/chat/stream');

    await lost.getByRole('button', { name: 'Retry this message' }).click();
    const state = await lastTurnSettled();

    expect(message).toContain('connection was lost');
    expect(state).toBe('done');
    expect(await lastTurn().locator('.tool-name').textContent()).toBe('get_current_time');
  });

  it('continues an earlier session picked from the sessions list', async () => {
    const first = 'what time is it? (the first session)';
    await send(first);
    await lastTurnSettled();
    await send('help');
    await lastTurnSettled();
    const entry = page.locator('button.session', { hasText: first });

    await entry.click();
    await page.locator('article.turn.past p.user', { hasText: first }).waitFor();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill(`show ${REPO}`);
    await box.press('Enter');
    const state = await lastTurnSettled();
    await screenshot(page, 'web-sessions');

    const sessionId = await entry.getAttribute('data-session-id');
    const stored = (await (await fetch(`${rig.server.url}/sessions/${sessionId}`)).json()) as {
      messages: Array<{ role: string; text: string }>;
    };
    expect(state).toBe('done');
    expect(await entry.getAttribute('aria-current')).toBe('true');
    expect(
      stored.messages.filter((message) => message.role === 'user').map((message) => message.text),
    ).toEqual([first, `show ${REPO}`]);
  });
});
