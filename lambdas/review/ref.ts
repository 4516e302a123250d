import { InvalidPullRequestRefError } from './errors';
import type { PullRequestRef } from './ports';

const OWNER = '[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})';
const REPO = '[A-Za-z0-9._-]{1,100}';
const SHORT = new RegExp(`^(${OWNER})/(${REPO})#(\\d{1,9})$`);
const PATH = new RegExp(`^/(${OWNER})/(${REPO})/pulls?/(\\d{1,9})(?:/.*)?$`);

/**
 * Parses `owner/repo#12` or a pull request URL (`https://github.com/owner/repo/pull/12`, also with `/files` etc., or a
 * GitHub Enterprise host).
 * @throws InvalidPullRequestRefError for anything else
 */
export function parsePullRequestRef(input: string): PullRequestRef {
  const text = input.trim();
  const short = SHORT.exec(text);
  if (short) return toRef(input, short[1], short[2], short[3]);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidPullRequestRefError(input);
  }
  const path = url.protocol === 'https:' || url.protocol === 'http:' ? PATH.exec(url.pathname) : null;
  if (!path) throw new InvalidPullRequestRefError(input);
  return toRef(input, path[1], path[2], path[3]);
}

/**
 * Checks separately given parts the same way (the tool accepts owner, repo and pull_number too).
 * @throws InvalidPullRequestRefError when a part is not valid
 */
export function checkPullRequestRef(ref: PullRequestRef): PullRequestRef {
  return toRef(`${ref.owner}/${ref.repo}#${ref.number}`, ref.owner, ref.repo, String(ref.number));
}

function toRef(input: string, owner?: string, repo?: string, number?: string): PullRequestRef {
  const parsed = Number(number);
  if (
    owner === undefined ||
    repo === undefined ||
    !new RegExp(`^${OWNER}$`).test(owner) ||
    !new RegExp(`^${REPO}$`).test(repo) ||
    repo === '.' ||
    repo === '..' ||
    !Number.isSafeInteger(parsed) ||
    parsed < 1
  ) {
    throw new InvalidPullRequestRefError(input);
  }
  return { owner, repo: repo.replace(/\.git$/, ''), number: parsed };
}
