/**
 * The GitHub stand-in's state: plain records the handlers read and change and tests inspect. Everything a response
 * needs beyond these (URLs, node ids, counters) is derived when rendering.
 */

export interface StandinUser {
  login: string;
  id: number;
  type: 'User' | 'Organization';
  name: string | null;
  email: string | null;
  created_at: string;
}

export interface StandinRepo {
  id: number;
  owner: string;
  name: string;
  description: string | null;
  private: boolean;
  language: string | null;
  topics: string[];
  default_branch: string;
  /** Branch name → head commit SHA (pull requests need both ends to exist). */
  branches: Record<string, string>;
  /** Changes a new pull request from this head branch shows (GET .../pulls/{n}/files). */
  branchChanges?: Record<string, StandinPullFile[]>;
  /** File contents by commit SHA, then path (GET .../contents/{path}?ref=<sha or branch>); other files are 404. */
  contents?: Record<string, Record<string, string>>;
  /** Logins besides the owner with push access. */
  collaborators: string[];
  /** Logins besides the owner with admin access (may manage webhooks); none by default. */
  admins?: string[];
  stargazers_count: number;
  forks_count: number;
  license: { key: string; name: string; spdx_id: string } | null;
  homepage: string | null;
  fork: boolean;
  archived: boolean;
  has_issues: boolean;
  created_at: string;
  updated_at: string;
  pushed_at: string;
}

export interface StandinIssue {
  /** "owner/name" of the repository. */
  repo: string;
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: string[];
  user: string;
  comments: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface StandinPullFile {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  /** Unified diff hunks; absent for binary files. Additions/deletions are counted from it when not given. */
  patch?: string;
  additions?: number;
  deletions?: number;
  previous_filename?: string;
}

export interface StandinPull {
  repo: string;
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  merged: boolean;
  user: string;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  files: StandinPullFile[];
  commits: number;
  labels: string[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  merged_at: string | null;
}

/** An inline comment of a review, as the client sent it. */
export interface StandinReviewComment {
  path: string;
  body: string;
  line?: number;
  side?: 'LEFT' | 'RIGHT';
  start_line?: number;
  start_side?: 'LEFT' | 'RIGHT';
  position?: number;
}

export interface StandinReview {
  repo: string;
  pull_number: number;
  id: number;
  user: string;
  body: string;
  state: 'COMMENTED' | 'APPROVED' | 'CHANGES_REQUESTED' | 'PENDING';
  commit_id: string;
  comments: StandinReviewComment[];
  submitted_at: string | null;
}

/** One commit, with the whole tree at it (path → content), so compares and pushes diff real files. */
export interface StandinCommit {
  repo: string;
  sha: string;
  parents: string[];
  message: string;
  /** Login of the author. */
  author: string;
  date: string;
  tree: Record<string, string>;
}

/** A repository webhook as created through the API (`secret` is kept so tests and signed deliveries can use it). */
export interface StandinHook {
  /** "owner/name" of the repository. */
  repo: string;
  id: number;
  active: boolean;
  events: string[];
  config: { url: string; content_type: string; insecure_ssl: string; secret?: string };
  /** The login whose token created it. */
  creator: string;
  created_at: string;
  updated_at: string;
}

/** Everything the stand-in knows; tests read (and may seed) it directly. */
export interface GitHubData {
  users: StandinUser[];
  repos: StandinRepo[];
  issues: StandinIssue[];
  pulls: StandinPull[];
  reviews: StandinReview[];
  /**
   * Commits known by SHA (see github-standin/history.ts). A pull request seeded without them gets its base and head
   * commits on first use, rebuilt from its patches.
   */
  commits?: StandinCommit[];
  /** Repository webhooks (absent in data saved before webhooks existed: read as none). */
  hooks?: StandinHook[];
}

/** The sample user's login (deliberately not a real GitHub account). */
export const SAMPLE_LOGIN = 'sample-dev';
/** The sample user's token in the stand-in and the offline demo. */
export const SAMPLE_TOKEN = 'gho_standin_sample_dev_0000000000000000';

const sha = (seed: string): string => {
  let hex = '';
  for (let i = 0; hex.length < 40; i += 1) {
    const code = seed.charCodeAt(i % seed.length) * (i + 7);
    hex += (code % 4096).toString(16).padStart(3, '0');
  }
  return hex.slice(0, 40);
};

const T0 = '2025-01-06T09:00:00Z';

/** A repository record with defaults for everything a test does not care about. */
export function makeRepo(
  fields: Partial<StandinRepo> & Pick<StandinRepo, 'id' | 'owner' | 'name'>,
): StandinRepo {
  const defaultBranch = fields.default_branch ?? 'main';
  return {
    description: null,
    private: false,
    language: null,
    topics: [],
    default_branch: defaultBranch,
    branches: { [defaultBranch]: sha(`${fields.owner}/${fields.name}@${defaultBranch}`) },
    collaborators: [],
    stargazers_count: 0,
    forks_count: 0,
    license: null,
    homepage: null,
    fork: false,
    archived: false,
    has_issues: true,
    created_at: T0,
    updated_at: T0,
    pushed_at: T0,
    ...fields,
  };
}

const WIDGETS_MAIN = sha('widgets@main');
const WIDGETS_TASKS = sha('widgets@feature/agent-tasks');
const WIDGETS_FIX = sha('widgets@fix/empty-config');

const README_PATCH = `@@ -1,8 +1,10 @@
 # Agent tasks
 
 Each file in this folder describes one task for the coding agent.
+Tasks are reviewed on a pull request before the agent runs them.
 
 ## Conventions
 
 - One task per file.
+- Start the file name with a verb, e.g. \`validate-config.md\`.
 - Keep each task small enough to review in ten minutes.`;

const TASK_PATCH = `@@ -0,0 +1,14 @@
+# Validate the configuration file
+
+## Goal
+Reject a malformed \`widgets.config.json\` at start-up with a message that names the bad field.
+
+## Steps
+1. Parse the file as JSON; a parse error names the line.
+2. Check \`name\` is a non-empty string and \`port\` an integer between 1 and 65535.
+3. Exit with status 2 and the message; never start with defaults silently.
+
+## Done when
+- A unit test covers each rejected field.
+- The README documents the fields.
+- TODO: decide whether unknown fields are an error.`;

const CONFIG_PATCH = `@@ -10,7 +10,11 @@ export interface Config {
   name: string;
   port: number;
 }
 
-export function loadConfig(raw: string): Config {
-  return JSON.parse(raw) as Config;
+export function loadConfig(raw: string): Config {
+  const parsed: unknown = JSON.parse(raw);
+  if (typeof parsed !== 'object' || parsed === null) throw new Error('config must be a JSON object');
+  return parsed as Config;
 }
+
+export const DEFAULT_PORT = 8080;`;

/** The offline demo's "open a pull request … from fix/empty-config": changes outside agent-tasks/ only. */
const EMPTY_CONFIG_PATCH = `@@ -14,4 +14,7 @@ export interface Config {
 export function loadConfig(raw: string): Config {
+  if (raw.trim() === '') {
+    throw new Error('widgets.config.json is empty: add at least a name and a port');
+  }
   const parsed: unknown = JSON.parse(raw);
   if (typeof parsed !== 'object' || parsed === null) throw new Error('config must be a JSON object');
   return parsed as Config;`;

const EMPTY_CONFIG_TEST_PATCH = `@@ -0,0 +1,6 @@
+import { expect, it } from 'vitest';
+import { loadConfig } from '../src/config';
+
+it('names the problem when the config file is empty', () => {
+  expect(() => loadConfig('')).toThrow('widgets.config.json is empty');
+});`;

/**
 * The sample world for tests and the offline demo (`npm run dev -- --offline`): user `sample-dev` with a few
 * repositories, issues, and one open pull request whose changes touch `agent-tasks/` (the review path default).
 * Returns a fresh copy each call, so a test can change it freely.
 */
export function sampleGitHubData(): GitHubData {
  const widgets = 'sample-dev/widgets';
  return {
    users: [
      {
        login: SAMPLE_LOGIN,
        id: 1001,
        type: 'User',
        name: 'Sample Developer',
        email: null,
        created_at: '2020-03-02T10:00:00Z',
      },
      {
        login: 'other-dev',
        id: 1002,
        type: 'User',
        name: 'Other Developer',
        email: null,
        created_at: '2021-05-17T08:30:00Z',
      },
      {
        login: 'sample-org',
        id: 2001,
        type: 'Organization',
        name: 'Sample Org',
        email: null,
        created_at: '2019-11-20T12:00:00Z',
      },
    ],
    repos: [
      makeRepo({
        id: 5001,
        owner: SAMPLE_LOGIN,
        name: 'widgets',
        description: 'A small TypeScript service that serves widgets over HTTP.',
        language: 'TypeScript',
        topics: ['typescript', 'http'],
        branches: {
          main: WIDGETS_MAIN,
          'feature/agent-tasks': WIDGETS_TASKS,
          'feature/empty': WIDGETS_MAIN,
          'fix/empty-config': WIDGETS_FIX,
        },
        branchChanges: {
          'fix/empty-config': [
            { filename: 'src/config.ts', status: 'modified', patch: EMPTY_CONFIG_PATCH },
            { filename: 'test/config.test.ts', status: 'added', patch: EMPTY_CONFIG_TEST_PATCH },
          ],
        },
        stargazers_count: 12,
        forks_count: 3,
        license: { key: 'mit', name: 'MIT License', spdx_id: 'MIT' },
        created_at: '2024-02-11T09:15:00Z',
        updated_at: '2025-06-03T16:20:00Z',
        pushed_at: '2025-06-03T16:19:00Z',
      }),
      makeRepo({
        id: 5002,
        owner: SAMPLE_LOGIN,
        name: 'notes',
        description: 'Private engineering notes.',
        private: true,
        language: 'Markdown',
        created_at: '2023-08-01T07:00:00Z',
        updated_at: '2025-05-28T11:00:00Z',
        pushed_at: '2025-05-28T10:59:00Z',
      }),
      makeRepo({
        id: 5003,
        owner: 'sample-org',
        name: 'platform',
        description: 'Shared platform services for the sample organization.',
        language: 'Go',
        collaborators: [SAMPLE_LOGIN],
        stargazers_count: 48,
        forks_count: 9,
        created_at: '2022-01-10T12:00:00Z',
        updated_at: '2025-04-15T09:45:00Z',
        pushed_at: '2025-04-15T09:44:00Z',
      }),
      makeRepo({
        id: 5004,
        owner: 'other-dev',
        name: 'secret-project',
        description: 'Not visible to sample-dev.',
        private: true,
        language: 'Rust',
        created_at: '2024-09-09T09:09:00Z',
        updated_at: '2025-03-03T03:03:00Z',
        pushed_at: '2025-03-03T03:03:00Z',
      }),
    ],
    issues: [
      {
        repo: widgets,
        id: 7001,
        number: 1,
        title: 'Add a dark mode to the widget viewer',
        body: 'The viewer is hard to read at night.',
        state: 'open',
        labels: ['enhancement'],
        user: 'other-dev',
        comments: 2,
        created_at: '2025-04-01T10:00:00Z',
        updated_at: '2025-04-02T10:00:00Z',
        closed_at: null,
      },
      {
        repo: widgets,
        id: 7002,
        number: 2,
        title: 'Crash when the config file is empty',
        body: 'Starting with an empty widgets.config.json throws "Unexpected end of JSON input".',
        state: 'open',
        labels: ['bug'],
        user: SAMPLE_LOGIN,
        comments: 0,
        created_at: '2025-05-20T14:30:00Z',
        updated_at: '2025-05-20T14:30:00Z',
        closed_at: null,
      },
      {
        repo: widgets,
        id: 7003,
        number: 3,
        title: 'Set up continuous integration',
        body: null,
        state: 'closed',
        labels: [],
        user: SAMPLE_LOGIN,
        comments: 1,
        created_at: '2024-03-01T09:00:00Z',
        updated_at: '2024-03-05T09:00:00Z',
        closed_at: '2024-03-05T09:00:00Z',
      },
    ],
    pulls: [
      {
        repo: widgets,
        id: 9001,
        number: 4,
        title: 'Add an agent task for config validation',
        body: 'Adds a task file under agent-tasks/ and tightens loadConfig. Fixes #2.',
        state: 'open',
        draft: false,
        merged: false,
        user: SAMPLE_LOGIN,
        head: { ref: 'feature/agent-tasks', sha: WIDGETS_TASKS },
        base: { ref: 'main', sha: WIDGETS_MAIN },
        files: [
          { filename: 'agent-tasks/README.md', status: 'modified', patch: README_PATCH },
          { filename: 'agent-tasks/validate-config.md', status: 'added', patch: TASK_PATCH },
          { filename: 'src/config.ts', status: 'modified', patch: CONFIG_PATCH },
          { filename: 'docs/diagram.png', status: 'added', additions: 0, deletions: 0 },
        ],
        commits: 2,
        labels: [],
        created_at: '2025-06-03T16:20:00Z',
        updated_at: '2025-06-03T16:20:00Z',
        closed_at: null,
        merged_at: null,
      },
    ],
    reviews: [],
    hooks: [],
  };
}
