import { type Finding, fail, pass, skip, warn } from '../result';

const WHERE = 'github.com/settings/developers → OAuth Apps → your app → "Client ID"';

/**
 * `github-client-id`: the GitHub OAuth App client id looks like one: `Ov23li` and 14 more letters or digits (20
 * characters), or the older 20 hexadecimal digits. A GitHub App's id (`Iv…`) and a client secret pasted by mistake
 * (40 hexadecimal digits) are told apart. The id is public; the secret is never echoed.
 */
export function checkClientId(clientId: string | undefined): Finding {
  if (clientId === undefined) {
    return skip(
      'No githubClientId in cdk.json or -c: cdk deploy asks for the GitHubClientId parameter instead',
      'Pass the same -c githubClientId=Ov23li... to doctor that you give cdk deploy, to check it before deploying.',
    );
  }
  if (/^Ov23li[A-Za-z0-9]{14}$/.test(clientId)) return pass(`${clientId} (a GitHub OAuth App client id)`);
  if (/^[0-9a-f]{20}$/.test(clientId)) return pass(`${clientId} (an older GitHub OAuth App client id)`);
  if (/^[0-9a-f]{40}$/.test(clientId)) {
    return fail(
      'githubClientId is 40 hexadecimal digits: that is a client secret, not the client id (not shown)',
      `Use the Client ID (${WHERE}); keep the secret only in Secrets Manager, and generate a new one since it was exposed.`,
    );
  }
  if (/^Iv[0-9a-z.]/i.test(clientId)) {
    return warn(
      `${clientId} is a GitHub App's client id; this stack is built for an OAuth App (scopes repo, read:user)`,
      `Create an OAuth App (docs/oauth_setup.md) and use its Client ID (${WHERE}).`,
    );
  }
  return fail(
    `githubClientId "${clientId}" does not look like a GitHub OAuth App client id (Ov23li + 14 characters, or 20 hexadecimal digits)`,
    `Copy the Client ID from ${WHERE} and deploy with -c githubClientId=<it>.`,
  );
}
