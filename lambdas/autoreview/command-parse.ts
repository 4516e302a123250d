import { isValidRepoRef } from '../github/tools';
import type { SubscriptionOptions } from './ports';

/** A repository as the user wrote it (case kept for GitHub calls and replies; stores lower-case it). */
export interface RepoName {
  owner: string;
  repo: string;
}

/** The auto-review chat commands, parsed before the model is called. */
export type AutoReviewCommand =
  /** "auto-review owner/repo [including drafts] [shared]" */
  | { type: 'subscribe'; ref: RepoName; options: SubscriptionOptions }
  /** "stop auto-review owner/repo" */
  | { type: 'unsubscribe'; ref: RepoName }
  /** "list auto-reviews" */
  | { type: 'list' }
  /** Reads as an auto-review command but cannot be run as written: answer with how to write it. */
  | { type: 'usage'; problem: string };

/** Longest message read as a command; anything longer is an ordinary message for the model. */
const MAX_COMMAND_CHARS = 300;
/** Words split off at most: enough for the longest command, so the rest of a long message is never split. */
const MAX_WORDS = 10;
/** Words allowed after the repository of a subscribe, and what they switch on. */
const OPTION_WORDS: Record<string, keyof SubscriptionOptions | null> = {
  including: null,
  include: null,
  with: null,
  and: null,
  drafts: 'drafts',
  draft: 'drafts',
  shared: 'shared',
};
const LIST_PHRASES = new Set([
  'auto-reviews',
  'auto-review',
  'auto reviews',
  'my auto-reviews',
  'my auto reviews',
]);

/**
 * Reads "auto-review owner/repo [including drafts] [shared]", "stop auto-review owner/repo" and "list auto-reviews"
 * (any case; "auto review" also written as two words; a final "." or "!" ignored). A message that starts like a
 * subscribe or stop but names no valid `owner/name` or has unknown options is a `usage` command, so the user learns
 * the syntax instead of the model improvising a subscription. Anything else is an ordinary message (undefined).
 *
 * Linear time whatever the message holds: a length cap, `trim`, one bounded `split` and set look-ups; the repository
 * name is checked with the tools' bounded patterns.
 */
export function parseAutoReviewCommand(message: string): AutoReviewCommand | undefined {
  if (message.length > MAX_COMMAND_CHARS) return undefined;
  let text = message.trim();
  if (text.endsWith('.') || text.endsWith('!')) text = text.slice(0, -1).trimEnd();
  const words = text.split(/\s+/, MAX_WORDS);
  const tooLong = words.length === MAX_WORDS;
  const lower = words.map((word) => word.toLowerCase());

  if (lower[0] === 'list' && LIST_PHRASES.has(lower.slice(1).join(' '))) return { type: 'list' };

  const stop = lower[0] === 'stop';
  const start = stop ? 1 : 0;
  const verbWords =
    lower[start] === 'auto-review' ? 1 : lower[start] === 'auto' && lower[start + 1] === 'review' ? 2 : 0;
  if (verbWords === 0) return undefined;
  const at = start + verbWords;
  const written = words[at];
  if (written === undefined) return usage('name the repository as owner/name');
  // "auto-review is great" is a sentence, not a command: only an owner/name makes it one.
  if (!written.includes('/')) return undefined;
  const ref = splitRepo(written);
  if (ref === undefined) return usage(`"${clip(written)}" is not a GitHub repository name (owner/name)`);

  if (tooLong) return usage('that is more than an auto-review command says');
  const rest = lower.slice(at + 1).map((word) => (word.endsWith(',') ? word.slice(0, -1) : word));
  if (stop)
    return rest.length === 0
      ? { type: 'unsubscribe', ref }
      : usage('"stop auto-review" takes only owner/name');
  const options: SubscriptionOptions = { drafts: false, shared: false };
  for (const word of rest) {
    if (!Object.hasOwn(OPTION_WORDS, word)) return usage(`"${clip(word)}" is not an auto-review option`);
    const option = OPTION_WORDS[word];
    if (option) options[option] = true;
  }
  return { type: 'subscribe', ref, options };
}

function splitRepo(text: string): RepoName | undefined {
  const slash = text.indexOf('/');
  if (slash !== text.lastIndexOf('/')) return undefined;
  const ref = { owner: text.slice(0, slash), repo: text.slice(slash + 1) };
  return isValidRepoRef(ref) ? ref : undefined;
}

function usage(problem: string): AutoReviewCommand {
  return { type: 'usage', problem };
}

/** A piece of the user's text quoted back: short, so a reply never echoes a whole message. */
function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** `owner/name` as written. */
export function formatRepo(ref: RepoName): string {
  return `${ref.owner}/${ref.repo}`;
}
