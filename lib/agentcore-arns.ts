import { ArnFormat, type Stack } from 'aws-cdk-lib';

/**
 * IAM resource ARNs of AgentCore Identity (service prefix `bedrock-agentcore`), in the stack's account and Region.
 * Formats from the AgentCore developer guide ("Scope down access to credential providers by workload identity")
 * and aws-cdk-lib's own AgentCore grant helpers: the default workload-identity directory and token vault, and the
 * named identity/provider beneath them.
 */
const agentCoreArn = (stack: Stack, resource: string, resourceName: string) =>
  stack.formatArn({
    service: 'bedrock-agentcore',
    resource,
    resourceName,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });

/** `...:workload-identity-directory/default` */
export const workloadIdentityDirectoryArn = (stack: Stack) =>
  agentCoreArn(stack, 'workload-identity-directory', 'default');

/** `...:workload-identity-directory/default/workload-identity/<name>` */
export const workloadIdentityArn = (stack: Stack, name: string) =>
  agentCoreArn(stack, 'workload-identity-directory', `default/workload-identity/${name}`);

/** `...:token-vault/default` */
export const tokenVaultArn = (stack: Stack) => agentCoreArn(stack, 'token-vault', 'default');

/**
 * `...:token-vault/default/oauth2credentialprovider`: the collection. AgentCore authorises Get/List (and the
 * data-plane token calls) against the parent and collection ARNs as well as the provider's own, as aws-cdk-lib's
 * AgentCore grants (`TOKEN_VAULT_OAUTH2_PARENT_RESOURCES`) do.
 */
export const oauth2CredentialProviderCollectionArn = (stack: Stack) =>
  agentCoreArn(stack, 'token-vault', 'default/oauth2credentialprovider');

/** `...:token-vault/default/oauth2credentialprovider/<name>`; `*` for every provider in the vault. */
export const oauth2CredentialProviderArn = (stack: Stack, name: string) =>
  agentCoreArn(stack, 'token-vault', `default/oauth2credentialprovider/${name}`);
