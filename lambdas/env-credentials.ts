import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias, lib/bundling.ts). Lambda
 * always puts the execution role's credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, so
 * the rest of the default chain (SSO, profiles, web identity, IMDS and their nested STS/SSO clients) is dead weight:
 * about 95 KB of bundle and 10 ms of cold start. Local runs are not bundled and keep the full chain.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
