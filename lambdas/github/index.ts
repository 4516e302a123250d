export { createGitHubAccess, type GitHubAccess, type GitHubAccessOptions } from './access';
export { type CreateOctokitOptions, createOctokit, type GitHubClient, USER_AGENT } from './client';
export { GitHubAuthError, type GitHubRequestError, isGitHubRequestError } from './errors';
export { describeGitHubError, type ErrorContext, errorLabel } from './format';
export {
  fetchPullRequest,
  GITHUB_MAX_PR_FILES,
  listAllPullRequestFiles,
  type PullRequestDetails,
  type PullRequestFile,
  type RepoRef,
} from './pulls';
export { createGitHubTools, isValidRepoRef, repoRef } from './tools';
