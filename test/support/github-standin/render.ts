import type {
  GitHubData,
  StandinCommit,
  StandinHook,
  StandinIssue,
  StandinPull,
  StandinPullFile,
  StandinRepo,
  StandinReview,
  StandinUser,
} from './data';
import { parsePatch } from './diff';

/**
 * Builds GitHub's JSON shapes (repository, full-repository, issue, pull-request, diff-entry, pull-request-review,
 * private-user) from the stand-in's records, modelled on @octokit/openapi's examples. The stand-in validates every
 * response against GitHub's OpenAPI schemas, so a missing required field here shows up as a violation.
 */
export interface Urls {
  /** The REST API root, e.g. http://127.0.0.1:1234 or http://127.0.0.1:1234/api/v3. */
  api: string;
  /** The web root that html_url values start with. */
  web: string;
}

type Json = Record<string, unknown>;

const nodeId = (prefix: string, id: number): string =>
  `${prefix}_kwDO${Buffer.from(String(id)).toString('base64url')}`;

export function simpleUser(urls: Urls, user: StandinUser): Json {
  const api = `${urls.api}/users/${user.login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId(user.type === 'User' ? 'U' : 'O', user.id),
    avatar_url: `${urls.web}/avatars/u/${user.id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `${urls.web}/${user.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: user.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** GET /user: the signed-in user's private profile. */
export function privateUser(urls: Urls, user: StandinUser, data: GitHubData): Json {
  const owned = data.repos.filter((repo) => repo.owner === user.login);
  const privateCount = owned.filter((repo) => repo.private).length;
  return {
    ...simpleUser(urls, user),
    user_view_type: 'private',
    name: user.name,
    company: null,
    blog: '',
    location: null,
    email: user.email,
    notification_email: user.email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: owned.length - privateCount,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: user.created_at,
    updated_at: user.created_at,
    private_gists: 0,
    total_private_repos: privateCount,
    owned_private_repos: privateCount,
    disk_usage: 1024,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: 'free', space: 976562499, private_repos: 10000, collaborators: 0 },
  };
}

/** The `repository` shape (lists, and the repo inside a pull request's head/base). */
export function repository(urls: Urls, repo: StandinRepo, owner: StandinUser, viewer?: string): Json {
  const fullName = `${repo.owner}/${repo.name}`;
  const api = `${urls.api}/repos/${fullName}`;
  const canPush = viewer !== undefined && (viewer === repo.owner || repo.collaborators.includes(viewer));
  const openIssues = 0;
  return {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: fullName,
    owner: simpleUser(urls, owner),
    private: repo.private,
    html_url: `${urls.web}/${fullName}`,
    description: repo.description,
    fork: repo.fork,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git:${urls.web.replace(/^https?:/, '')}/${fullName}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@standin.invalid:${fullName}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${urls.web}/${fullName}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: `${urls.web}/${fullName}`,
    homepage: repo.homepage,
    language: repo.language,
    forks_count: repo.forks_count,
    forks: repo.forks_count,
    stargazers_count: repo.stargazers_count,
    watchers_count: repo.stargazers_count,
    watchers: repo.stargazers_count,
    size: 512,
    default_branch: repo.default_branch,
    open_issues_count: openIssues,
    open_issues: openIssues,
    is_template: false,
    topics: repo.topics,
    has_issues: repo.has_issues,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: repo.archived,
    disabled: false,
    visibility: repo.private ? 'private' : 'public',
    pushed_at: repo.pushed_at,
    created_at: repo.created_at,
    updated_at: repo.updated_at,
    permissions: {
      admin: viewer !== undefined && (viewer === repo.owner || (repo.admins ?? []).includes(viewer)),
      maintain: canPush,
      push: canPush,
      triage: canPush,
      pull: true,
    },
    allow_forking: true,
    web_commit_signoff_required: false,
    license: repo.license
      ? { ...repo.license, url: `${urls.api}/licenses/${repo.license.key}`, node_id: 'MDc6TGljZW5zZTEz' }
      : null,
  };
}

/** GET /repos/{owner}/{repo}: `full-repository`, with the open issue + PR count GitHub reports. */
export function fullRepository(
  urls: Urls,
  repo: StandinRepo,
  owner: StandinUser,
  viewer: string,
  data: GitHubData,
): Json {
  const fullName = `${repo.owner}/${repo.name}`;
  const open =
    data.issues.filter((issue) => issue.repo === fullName && issue.state === 'open').length +
    data.pulls.filter((pull) => pull.repo === fullName && pull.state === 'open').length;
  return {
    ...repository(urls, repo, owner, viewer),
    open_issues_count: open,
    open_issues: open,
    network_count: repo.forks_count,
    subscribers_count: Math.max(1, Math.round(repo.stargazers_count / 4)),
    ...(owner.type === 'Organization' ? { organization: simpleUser(urls, owner) } : {}),
  };
}

function labels(urls: Urls, fullName: string, names: string[]): Json[] {
  return names.map((name, index) => ({
    id: 3000 + index + name.length * 97,
    node_id: nodeId('LA', 3000 + index),
    url: `${urls.api}/repos/${fullName}/labels/${encodeURIComponent(name)}`,
    name,
    description: null,
    color: name === 'bug' ? 'd73a4a' : 'a2eeef',
    default: name === 'bug' || name === 'enhancement',
  }));
}

const association = (login: string, repo: StandinRepo): string =>
  login === repo.owner ? 'OWNER' : repo.collaborators.includes(login) ? 'COLLABORATOR' : 'CONTRIBUTOR';

/** The `issue` shape; a pull request listed among issues carries `pull_request` links, as on GitHub. */
export function issue(
  urls: Urls,
  item: StandinIssue | StandinPull,
  repo: StandinRepo,
  author: StandinUser,
  kind: 'issue' | 'pull',
): Json {
  const api = `${urls.api}/repos/${item.repo}/issues/${item.number}`;
  const pullApi = `${urls.api}/repos/${item.repo}/pulls/${item.number}`;
  const web = `${urls.web}/${item.repo}/${kind === 'pull' ? 'pull' : 'issues'}/${item.number}`;
  return {
    id: item.id,
    node_id: nodeId(kind === 'pull' ? 'PR' : 'I', item.id),
    url: api,
    repository_url: `${urls.api}/repos/${item.repo}`,
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: web,
    number: item.number,
    state: item.state,
    state_reason: item.state === 'closed' ? 'completed' : null,
    title: item.title,
    body: item.body,
    user: simpleUser(urls, author),
    labels: labels(urls, item.repo, item.labels),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: 'comments' in item ? item.comments : 0,
    closed_at: item.closed_at,
    created_at: item.created_at,
    updated_at: item.updated_at,
    author_association: association(author.login, repo),
    ...(kind === 'pull'
      ? {
          draft: (item as StandinPull).draft,
          pull_request: {
            url: pullApi,
            html_url: web,
            diff_url: `${web}.diff`,
            patch_url: `${web}.patch`,
            merged_at: (item as StandinPull).merged_at,
          },
        }
      : {}),
  };
}

function branchEnd(
  urls: Urls,
  end: { ref: string; sha: string },
  repo: StandinRepo,
  owner: StandinUser,
  viewer: string,
): Json {
  return {
    label: `${repo.owner}:${end.ref}`,
    ref: end.ref,
    sha: end.sha,
    user: simpleUser(urls, owner),
    repo: repository(urls, repo, owner, viewer),
  };
}

/** The `pull-request-simple` shape (lists). */
export function pullRequestSimple(
  urls: Urls,
  pull: StandinPull,
  repo: StandinRepo,
  owner: StandinUser,
  author: StandinUser,
  viewer: string,
): Json {
  const api = `${urls.api}/repos/${pull.repo}/pulls/${pull.number}`;
  const issueApi = `${urls.api}/repos/${pull.repo}/issues/${pull.number}`;
  const web = `${urls.web}/${pull.repo}/pull/${pull.number}`;
  const statuses = `${urls.api}/repos/${pull.repo}/statuses/${pull.head.sha}`;
  return {
    url: api,
    id: pull.id,
    node_id: nodeId('PR', pull.id),
    html_url: web,
    diff_url: `${web}.diff`,
    patch_url: `${web}.patch`,
    issue_url: issueApi,
    commits_url: `${api}/commits`,
    review_comments_url: `${api}/comments`,
    review_comment_url: `${urls.api}/repos/${pull.repo}/pulls/comments{/number}`,
    comments_url: `${issueApi}/comments`,
    statuses_url: statuses,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: simpleUser(urls, author),
    body: pull.body,
    labels: labels(urls, pull.repo, pull.labels),
    milestone: null,
    active_lock_reason: null,
    created_at: pull.created_at,
    updated_at: pull.updated_at,
    closed_at: pull.closed_at,
    merged_at: pull.merged_at,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branchEnd(urls, pull.head, repo, owner, viewer),
    base: branchEnd(urls, pull.base, repo, owner, viewer),
    _links: {
      self: { href: api },
      html: { href: web },
      issue: { href: issueApi },
      comments: { href: `${issueApi}/comments` },
      review_comments: { href: `${api}/comments` },
      review_comment: { href: `${urls.api}/repos/${pull.repo}/pulls/comments{/number}` },
      commits: { href: `${api}/commits` },
      statuses: { href: statuses },
    },
    author_association: association(author.login, repo),
    auto_merge: null,
    draft: pull.draft,
  };
}

/** The full `pull-request` shape (get, create). */
export function pullRequest(
  urls: Urls,
  pull: StandinPull,
  repo: StandinRepo,
  owner: StandinUser,
  author: StandinUser,
  viewer: string,
): Json {
  const entries = pull.files.map(fileStats);
  return {
    ...pullRequestSimple(urls, pull, repo, owner, author, viewer),
    merged: pull.merged,
    mergeable: pull.state === 'open' ? true : null,
    rebaseable: pull.state === 'open' ? true : null,
    mergeable_state: pull.state === 'open' ? 'clean' : 'unknown',
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: pull.commits,
    additions: entries.reduce((sum, entry) => sum + entry.additions, 0),
    deletions: entries.reduce((sum, entry) => sum + entry.deletions, 0),
    changed_files: pull.files.length,
  };
}

/** Additions and deletions of a file: as seeded, or counted from its patch. */
export function fileStats(file: StandinPullFile): { additions: number; deletions: number } {
  const parsed = file.patch === undefined ? undefined : parsePatch(file.patch);
  return {
    additions: file.additions ?? parsed?.additions ?? 0,
    deletions: file.deletions ?? parsed?.deletions ?? 0,
  };
}

/** The `diff-entry` shape (GET .../pulls/{n}/files). */
export function diffEntry(urls: Urls, pull: StandinPull, file: StandinPullFile): Json {
  return diffEntryAt(urls, pull.repo, pull.head.sha, file);
}

/** The `diff-entry` shape of a file at commit `sha` of `repo` ("owner/name"). */
export function diffEntryAt(urls: Urls, repo: string, sha: string, file: StandinPullFile): Json {
  const { additions, deletions } = fileStats(file);
  const path = file.filename.split('/').map(encodeURIComponent).join('/');
  return {
    sha: Buffer.from(`${sha}:${file.filename}`).toString('hex').slice(0, 40).padEnd(40, '0'),
    filename: file.filename,
    status: file.status,
    additions,
    deletions,
    changes: additions + deletions,
    blob_url: `${urls.web}/${repo}/blob/${sha}/${path}`,
    raw_url: `${urls.web}/${repo}/raw/${sha}/${path}`,
    contents_url: `${urls.api}/repos/${repo}/contents/${path}?ref=${sha}`,
    ...(file.patch !== undefined ? { patch: file.patch } : {}),
    ...(file.previous_filename !== undefined ? { previous_filename: file.previous_filename } : {}),
  };
}

/** The `pull-request-review` shape. */
export function review(urls: Urls, item: StandinReview, repo: StandinRepo, author: StandinUser): Json {
  const pullApi = `${urls.api}/repos/${item.repo}/pulls/${item.pull_number}`;
  const html = `${urls.web}/${item.repo}/pull/${item.pull_number}#pullrequestreview-${item.id}`;
  return {
    id: item.id,
    node_id: nodeId('PRR', item.id),
    user: simpleUser(urls, author),
    body: item.body,
    state: item.state,
    html_url: html,
    pull_request_url: pullApi,
    _links: { html: { href: html }, pull_request: { href: pullApi } },
    ...(item.submitted_at !== null ? { submitted_at: item.submitted_at } : {}),
    commit_id: item.commit_id,
    author_association: association(author.login, repo),
  };
}

/** The `commit` shape (as compare lists it: without stats or files). */
export function commit(urls: Urls, item: StandinCommit, author: StandinUser): Json {
  const api = `${urls.api}/repos/${item.repo}/commits/${item.sha}`;
  const git = {
    name: author.name ?? author.login,
    email: `${author.login}@users.noreply.standin.invalid`,
    date: item.date,
  };
  return {
    url: api,
    sha: item.sha,
    node_id: nodeId('C', Number.parseInt(item.sha.slice(0, 8), 16)),
    html_url: `${urls.web}/${item.repo}/commit/${item.sha}`,
    comments_url: `${api}/comments`,
    commit: {
      url: `${urls.api}/repos/${item.repo}/git/commits/${item.sha}`,
      author: git,
      committer: git,
      message: item.message,
      comment_count: 0,
      tree: {
        sha: Buffer.from(`tree:${item.sha}`).toString('hex').slice(0, 40),
        url: `${urls.api}/repos/${item.repo}/git/trees/${item.sha}`,
      },
      verification: {
        verified: false,
        reason: 'unsigned',
        payload: null,
        signature: null,
        verified_at: null,
      },
    },
    author: simpleUser(urls, author),
    committer: simpleUser(urls, author),
    parents: item.parents.map((sha) => ({
      sha,
      url: `${urls.api}/repos/${item.repo}/commits/${sha}`,
      html_url: `${urls.web}/${item.repo}/commit/${sha}`,
    })),
  };
}

/** The `commit-comparison` shape (GET /repos/{o}/{r}/compare/{base}...{head}). */
export function comparison(
  urls: Urls,
  input: {
    repo: string;
    basehead: string;
    status: 'ahead' | 'behind' | 'identical' | 'diverged';
    base: Json;
    mergeBase: Json;
    commits: Json[];
    behindBy: number;
    headSha: string;
    files?: StandinPullFile[];
  },
): Json {
  const api = `${urls.api}/repos/${input.repo}/compare/${input.basehead}`;
  const web = `${urls.web}/${input.repo}/compare/${input.basehead}`;
  return {
    url: api,
    html_url: web,
    permalink_url: web,
    diff_url: `${web}.diff`,
    patch_url: `${web}.patch`,
    base_commit: input.base,
    merge_base_commit: input.mergeBase,
    status: input.status,
    ahead_by: input.commits.length,
    behind_by: input.behindBy,
    total_commits: input.commits.length,
    commits: input.commits,
    ...(input.files === undefined
      ? {}
      : { files: input.files.map((file) => diffEntryAt(urls, input.repo, input.headSha, file)) }),
  };
}

/** The `content-file` shape (GET .../contents/{path}): the file inline, base64-encoded as GitHub sends it. */
export function contentFile(urls: Urls, repo: StandinRepo, path: string, sha: string, text: string): Json {
  const full = `${repo.owner}/${repo.name}`;
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  const blob = Buffer.from(`${sha}:${path}`).toString('hex').slice(0, 40).padEnd(40, '0');
  const self = `${urls.api}/repos/${full}/contents/${encoded}?ref=${sha}`;
  const git = `${urls.api}/repos/${full}/git/blobs/${blob}`;
  const html = `${urls.web}/${full}/blob/${sha}/${encoded}`;
  return {
    type: 'file',
    encoding: 'base64',
    size: Buffer.byteLength(text, 'utf8'),
    name: path.split('/').at(-1) ?? path,
    path,
    // GitHub wraps the base64 at 60 characters per line.
    content: (
      Buffer.from(text, 'utf8')
        .toString('base64')
        .match(/.{1,60}/g) ?? []
    ).join('\n'),
    sha: blob,
    url: self,
    git_url: git,
    html_url: html,
    download_url: `${urls.web}/${full}/raw/${sha}/${encoded}`,
    _links: { self, git, html },
  };
}

/** A repository webhook (`hook`): GitHub never returns a secret, only "********" in its place. */
export function hook(urls: Urls, item: StandinHook): Json {
  const api = `${urls.api}/repos/${item.repo}/hooks/${item.id}`;
  const { secret, ...config } = item.config;
  return {
    type: 'Repository',
    id: item.id,
    name: 'web',
    active: item.active,
    events: item.events,
    config: secret === undefined ? config : { ...config, secret: '********' },
    updated_at: item.updated_at,
    created_at: item.created_at,
    url: api,
    test_url: `${api}/test`,
    ping_url: `${api}/pings`,
    deliveries_url: `${api}/deliveries`,
    last_response: { code: null, status: 'unused', message: null },
  };
}
