import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The webhook secret, cached: `get` serves the cached value; `refresh` fetches anew unless it just did. */
export interface SecretSource {
  get(): Promise<string>;
  /** After a signature mismatch: the secret may have been rotated. At most once per `minRefreshMs`. */
  refresh(): Promise<string | undefined>;
}

export interface CachedSecretOptions {
  fetch: () => Promise<string>;
  /** How long a fetched value is used before it is fetched again (rotation is picked up within this). */
  ttlMs: number;
  /** The least time between fetches forced by `refresh` (a stream of bad signatures cannot hammer Secrets Manager). */
  minRefreshMs: number;
  now?: () => number;
}

/**
 * Caches the secret per cold start with a short TTL. Concurrent callers share one fetch; a failed fetch is not cached.
 */
export function createCachedSecret(options: CachedSecretOptions): SecretSource {
  const now = options.now ?? Date.now;
  let cached: { value: string; at: number } | undefined;
  let inFlight: Promise<string> | undefined;
  const load = (): Promise<string> => {
    inFlight ??= options
      .fetch()
      .then((value) => {
        cached = { value, at: now() };
        return value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  return {
    async get() {
      if (cached && now() - cached.at < options.ttlMs) return cached.value;
      return load();
    },
    async refresh() {
      if (cached && now() - cached.at < options.minRefreshMs) return undefined;
      const before = cached?.value;
      const value = await load();
      return value === before ? undefined : value;
    },
  };
}

/** Reads the secret string from Secrets Manager (the stack generates it: a plain string, not JSON). */
export function secretsManagerFetch(client: Pick<SecretsManagerClient, 'send'>, secretId: string) {
  return async (): Promise<string> => {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!answer.SecretString) throw new Error('The webhook secret has no string value');
    return answer.SecretString;
  };
}
