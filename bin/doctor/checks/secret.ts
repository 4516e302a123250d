import type { DoctorPorts } from '../ports';
import { describeError, errorName, type Finding, fail, pass, warn } from '../result';
import { awsCallFailed } from './aws-errors';

/** Where the client secret lives, from the context. */
export interface SecretReference {
  name: string;
  jsonKey: string;
  region: string;
}

const storeCommand = (ref: SecretReference) =>
  `aws secretsmanager create-secret --region ${ref.region} --name ${ref.name} ` +
  `--secret-string '{"${ref.jsonKey}":"<the OAuth App client secret>"}' (or put-secret-value on an existing one)`;

/**
 * `client-secret`: the Secrets Manager secret the credential provider reads exists in the stack's Region and holds a
 * JSON object with a non-empty string at the configured key. The value is read to check that and never printed; only
 * key names appear in the output.
 */
export async function checkClientSecret(
  ports: Pick<DoctorPorts, 'secretValue'>,
  ref: SecretReference,
): Promise<Finding> {
  let text: string | undefined;
  try {
    const value = await ports.secretValue(ref.name);
    if (value.text === undefined) {
      return fail(
        `Secret "${ref.name}" has ${value.binary ? 'only a binary value' : 'no value'}`,
        `Store the client secret as JSON text: ${storeCommand(ref)}`,
      );
    }
    text = value.text;
  } catch (error) {
    return secretError(error, ref);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail(
      `Secret "${ref.name}" is plain text, not a JSON object`,
      `AgentCore reads the key "${ref.jsonKey}" of a JSON secret: ${storeCommand(ref)}`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return fail(`Secret "${ref.name}" is JSON but not an object`, storeCommand(ref));
  }
  const entries = parsed as Record<string, unknown>;
  const value = entries[ref.jsonKey];
  if (value === undefined) {
    const keys = Object.keys(entries);
    return fail(
      `Secret "${ref.name}" has no key "${ref.jsonKey}" (its keys: ${keys.length > 0 ? keys.join(', ') : 'none'})`,
      `Add the key, or deploy with -c githubSecretJsonKey=<the key>: ${storeCommand(ref)}`,
    );
  }
  if (typeof value !== 'string' || value.trim().length === 0) {
    return fail(`Secret "${ref.name}" key "${ref.jsonKey}" is empty or not a string`, storeCommand(ref));
  }
  return pass(`Secret "${ref.name}" in ${ref.region} has the key "${ref.jsonKey}" (value not shown)`);
}

function secretError(error: unknown, ref: SecretReference): Finding {
  switch (errorName(error)) {
    case 'ResourceNotFoundException':
      return fail(
        `No secret "${ref.name}" in ${ref.region}`,
        `Create it in the stack's Region (docs/oauth_setup.md, step 2): ${storeCommand(ref)}; or deploy with -c githubSecretName=<its name>.`,
      );
    case 'DecryptionFailure':
      return fail(
        `Secret "${ref.name}" cannot be decrypted (${describeError(error)})`,
        "Allow kms:Decrypt on the secret's customer managed key to you, the chat function's and the provider handler's roles.",
      );
    case 'AccessDeniedException':
      return warn(
        `Your credentials may not read secret "${ref.name}", so its key could not be checked (${describeError(error)})`,
        'Run doctor as a principal allowed secretsmanager:GetSecretValue on it (the stack reads it with its own roles).',
      );
    default:
      return awsCallFailed(error, `read secret "${ref.name}"`, ref.region);
  }
}
