import type { DoctorPorts, ProviderDescription } from '../ports';
import { type Finding, fail, pass, skip, warn } from '../result';
import { awsCallFailed } from './aws-errors';

const NO_STACK = 'Needs the stack outputs (see stack-outputs)';

/**
 * `oauth-provider`: the AgentCore Identity OAuth2 credential provider is `READY`. Creation and updates are
 * asynchronous; a `*_FAILED` provider says why in `failureReason`. Returns the provider for the callback checks.
 */
export async function checkProvider(
  ports: Pick<DoctorPorts, 'oauthProvider'>,
  name: string | undefined,
  region: string,
): Promise<{ finding: Finding; provider?: ProviderDescription }> {
  if (!name) return { finding: skip(NO_STACK) };
  let provider: ProviderDescription | undefined;
  try {
    provider = await ports.oauthProvider(name);
  } catch (error) {
    return { finding: awsCallFailed(error, `get credential provider "${name}"`, region) };
  }
  if (!provider) {
    return {
      finding: fail(
        `No credential provider "${name}" in ${region}`,
        'It was deleted outside CloudFormation or never created: deploy again; if CloudFormation sees no change, the troubleshooting section says how to make it recreate the provider.',
      ),
    };
  }
  const about = [provider.vendor, provider.clientId && `client id ${provider.clientId}`]
    .filter(Boolean)
    .join(', ');
  const described = `"${name}"${about ? ` (${about})` : ''}`;
  switch (provider.status) {
    case 'READY':
      return { finding: pass(`${described} is READY`), provider };
    case undefined:
      return { finding: pass(`${described} exists (AgentCore reported no status)`), provider };
    case 'CREATING':
    case 'UPDATING':
      return {
        finding: warn(`${described} is ${provider.status}`, 'Wait a minute and run doctor again.'),
        provider,
      };
    default: {
      const reason = provider.failureReason ? `: ${provider.failureReason}` : '';
      return {
        finding: fail(
          `${described} is ${provider.status}${reason}`,
          'Fix what the failure reason names (usually the client-secret secret, its JSON key or its KMS key: see client-secret) and deploy again.',
        ),
        provider,
      };
    }
  }
}

/**
 * `callback-url`: shows the callback URL to register in GitHub, and fails when the stack output and the provider
 * disagree (the provider was recreated outside the stack, so GitHub may hold the old one).
 */
export function checkCallbackUrl(outputUrl: string | undefined, provider?: ProviderDescription): Finding {
  const url = provider?.callbackUrl ?? outputUrl;
  if (!url) return skip(NO_STACK);
  if (outputUrl && provider?.callbackUrl && outputUrl !== provider.callbackUrl) {
    return fail(
      `The GitHubCallbackUrl output is ${outputUrl} but the provider's callback URL is ${provider.callbackUrl}`,
      "Register the provider's URL in the GitHub OAuth App (see github-callback) and deploy again so the output follows.",
    );
  }
  return pass(url);
}

/**
 * `github-callback`: whether the GitHub OAuth App accepts the callback URL. GitHub only checks `redirect_uri` after
 * the user has signed in (signed out, the authorize URL always answers with the sign-in page), so doctor cannot tell
 * and prints the exact manual check instead.
 */
export function checkGitHubCallback(callbackUrl: string | undefined, clientId: string | undefined): Finding {
  if (!callbackUrl) return skip(NO_STACK);
  const app = clientId ? `the OAuth App with Client ID ${clientId}` : 'your OAuth App';
  const steps = [
    `open https://github.com/settings/developers → OAuth Apps → ${app}: "Authorization callback URL" must be exactly ${callbackUrl} (then "Update application")`,
  ];
  if (clientId) {
    const authorize = new URL('https://github.com/login/oauth/authorize');
    authorize.searchParams.set('client_id', clientId);
    authorize.searchParams.set('redirect_uri', callbackUrl);
    steps.push(
      `or, signed in to GitHub, open ${authorize.href} : GitHub's "Authorize" page (or a redirect to bedrock-agentcore) means it is accepted; error=redirect_uri_mismatch means it is not`,
    );
  }
  return skip('GitHub only checks the callback URL after you sign in: check it by hand', steps.join('; '));
}
