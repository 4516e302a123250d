import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import type { StandinBinding } from '../../test/support/agentcore-standin';
import type { GitHubData } from '../../test/support/github-standin';

/** What `npm run dev -- --offline --data <dir>` keeps of the stand-ins besides DynamoDB. */
export interface StandinSnapshot {
  /** The GitHub stand-in's world: repos, issues, pull requests and reviews, including what the demo created. */
  github: GitHubData;
  /** Completed consents: AgentCore's token per user. */
  agentcore: StandinBinding[];
}

const FILE = 'standins.json';

const snapshotSchema = z.object({
  version: z.literal(1),
  github: z.object({
    users: z.array(z.object({ login: z.string() }).loose()),
    repos: z.array(z.object({ owner: z.string(), name: z.string() }).loose()),
    issues: z.array(z.object({ repo: z.string(), number: z.number() }).loose()),
    pulls: z.array(z.object({ repo: z.string(), number: z.number() }).loose()),
    reviews: z.array(z.object({ repo: z.string(), id: z.number() }).loose()),
    hooks: z.array(z.object({ repo: z.string(), id: z.number() }).loose()).optional(),
  }),
  agentcore: z.array(
    z.object({
      userId: z.string(),
      token: z.string(),
      grants: z.number().int().min(1),
      scopes: z.array(z.string()).optional(),
    }),
  ),
});

/**
 * The saved stand-in state in `dir`, or undefined when there is none yet.
 * @throws Error naming the file when it exists but is not a snapshot this version wrote
 */
export function loadStandinState(dir: string): StandinSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, FILE), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = snapshotSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(
      `${join(dir, FILE)} is not stand-in state this version understands: delete it to start afresh`,
    );
  }
  // The records were written by this code from the stand-in's own types; the schema checked their outline.
  return { github: parsed.data.github as unknown as GitHubData, agentcore: parsed.data.agentcore };
}

/** Writes the snapshot (write, then rename: a crash never leaves half a file). Local demo data only: no secrets. */
export function saveStandinState(dir: string, snapshot: StandinSnapshot): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ version: 1, ...snapshot })}\n`);
  renameSync(`${path}.tmp`, path);
}
