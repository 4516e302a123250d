/**
 * What the offline demo model (test/support/offline-model.ts, behind `npm run dev` without AWS) understands. One list
 * for the model's own `help` answer and the terminal client's `--help`, so they cannot drift apart.
 */
export const DEMO_PHRASES: ReadonlyArray<{ say: string; does: string }> = [
  { say: 'list my repos', does: 'lists your repositories (the first GitHub use asks for consent)' },
  { say: 'show sample-dev/widgets', does: 'shows one repository' },
  { say: 'show sample-dev/widgets issues', does: 'lists its open issues' },
  { say: 'what time is it?', does: 'a tool without GitHub' },
  {
    say: 'create an issue in sample-dev/widgets titled Empty config crashes',
    does: 'creates an issue as you',
  },
  {
    say: 'open a pull request in sample-dev/widgets from fix/empty-config',
    does: 'opens PR #5 (its files lie outside the review scope)',
  },
  {
    say: 'triage sample-dev/widgets issues',
    does: "reads the issues, then proposes a new one: a write after other people's text waits for your yes",
  },
  { say: 'review sample-dev/widgets#4', does: 'plans a review; then "approve" (or "cancel") runs it' },
  {
    say: 'review sample-dev/widgets#5 all files',
    does: 'reviews beyond the agent-tasks/ scope, for this review only',
  },
  {
    say: 'push a commit to PR #4',
    does: "pushes a commit to sample-dev/widgets#4 on the GitHub stand-in and sends GitHub's signed synchronize delivery to the local webhook: each auto-review subscriber gets a review",
  },
  { say: 'help', does: 'this list' },
];

/** The list as indented lines (`  "phrase": what it does`), for help texts. */
export function formatDemoPhrases(indent = '  '): string {
  return DEMO_PHRASES.map(({ say, does }) => `${indent}"${say}": ${does}`).join('\n');
}
