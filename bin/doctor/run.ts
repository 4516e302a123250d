import { isLoopbackUrl, regionFromFunctionUrl } from '../client/sign';
import type { DoctorOptions } from './args';
import { checkClientId } from './checks/client-id';
import { checkCredentials } from './checks/credentials';
import { CHAT_TIMEOUT_MS, checkChatTurn, checkHealth, type EndpointTarget } from './checks/endpoint';
import { checkModel } from './checks/model';
import { checkInvokePolicy } from './checks/policy';
import { checkCallbackUrl, checkGitHubCallback, checkProvider } from './checks/provider';
import { checkClientSecret } from './checks/secret';
import { checkStackOutputs } from './checks/stack';
import { checkWorkloadReturnUrls } from './checks/workload';
import { lookUpOutputs, type OutputsLookup, providerNameFromArn, type StackOutputs } from './outputs';
import type { CallerIdentity, DoctorPorts, ProviderDescription } from './ports';
import {
  type CheckId,
  type CheckResult,
  describeError,
  docAnchor,
  type Finding,
  fail,
  type Phase,
  skip,
} from './result';
import type { DoctorSettings } from './settings';

/** The checklist's labels. */
export const CHECK_TITLES: Record<CheckId, string> = {
  credentials: 'AWS credentials and Region',
  'bedrock-model': 'Bedrock model',
  'client-secret': 'Client-secret secret',
  'github-client-id': 'GitHub OAuth App client id',
  'stack-outputs': 'Stack outputs',
  'oauth-provider': 'OAuth2 credential provider',
  'callback-url': 'Callback URL',
  'github-callback': 'GitHub accepts the callback URL',
  'workload-return-urls': 'Workload identity return URLs',
  health: 'GET /health',
  'chat-turn': 'One chat turn',
  'invoke-policy': 'Invoke policy conditions',
};

const PHASE_OF: Record<CheckId, Phase> = {
  credentials: 'before',
  'bedrock-model': 'before',
  'client-secret': 'before',
  'github-client-id': 'before',
  'stack-outputs': 'after',
  'oauth-provider': 'after',
  'callback-url': 'after',
  'github-callback': 'after',
  'workload-return-urls': 'after',
  health: 'after',
  'chat-turn': 'after',
  'invoke-policy': 'after',
};

/** Which checks run and why: decided before the first check, so the header can say it. */
export interface DoctorPlan {
  phase: 'before' | 'after' | 'all';
  /** Why this phase, when doctor chose it. */
  reason: string;
  /** The outputs, when they were looked up to choose the phase. */
  lookup?: OutputsLookup;
}

/** What a run needs besides the plan. */
export interface DoctorRunInput {
  options: DoctorOptions;
  settings: DoctorSettings;
  ports: DoctorPorts;
  /** The chat turn's message (prompts/doctor-check.md). */
  chatMessage: string;
  /** Overrides for tests: how long one check may take, and the chat turn. */
  limits?: { checkMs?: number; chatMs?: number };
}

/** A loopback `--url` without an outputs file means the local server: no stack, no signing. */
function localUrl(options: DoctorOptions): string | undefined {
  return options.url && !options.outputsFile && isLoopbackUrl(options.url) ? options.url : undefined;
}

function outputsQuery(input: DoctorRunInput) {
  return {
    stackName: input.settings.stackName,
    region: input.settings.region,
    outputsFile: input.options.outputsFile,
    localUrl: localUrl(input.options),
  };
}

/**
 * Chooses the phase: the one asked for, else `after` when stack outputs are found (or `--url` names a local server),
 * else `before`. Looking up the outputs here means the `stack-outputs` check reuses them.
 */
export async function planDoctor(input: DoctorRunInput): Promise<DoctorPlan> {
  if (input.options.phase) return { phase: input.options.phase, reason: `--phase ${input.options.phase}` };
  const lookup = await lookUpOutputs(input.ports, outputsQuery(input));
  switch (lookup.kind) {
    case 'found':
      return {
        phase: 'after',
        reason: `stack outputs found in ${lookup.source === 'file' ? lookup.file : 'CloudFormation'}`,
        lookup,
      };
    case 'local':
      return { phase: 'after', reason: `${lookup.url} is a local server`, lookup };
    case 'missing':
      return { phase: 'before', reason: `no stack outputs (${lookup.reason})`, lookup };
    case 'error':
      return { phase: 'before', reason: `stack outputs unreadable (${describeError(lookup.error)})`, lookup };
  }
}

/**
 * Runs the plan's checks in order and reports each result as soon as it is known (`onResult`), so a slow chat turn
 * does not hide the lines before it. A check that throws or outlives its limit is reported as failed; nothing else
 * stops the run.
 */
export async function runChecks(
  plan: DoctorPlan,
  input: DoctorRunInput,
  onResult: (result: CheckResult) => void = () => undefined,
): Promise<CheckResult[]> {
  const { settings, ports, options } = input;
  const { region, context } = settings;
  const checkMs = input.limits?.checkMs ?? 60_000;
  const chatMs = input.limits?.chatMs ?? CHAT_TIMEOUT_MS;
  const results: CheckResult[] = [];
  const record = (id: CheckId, finding: Finding): void => {
    const result: CheckResult = {
      id,
      phase: PHASE_OF[id],
      title: CHECK_TITLES[id],
      status: finding.status,
      detail: finding.detail,
      ...(finding.fix ? { fix: finding.fix } : {}),
      doc: docAnchor(id),
    };
    results.push(result);
    onResult(result);
  };
  const run = async (id: CheckId, check: () => Promise<Finding> | Finding, limitMs = checkMs) => {
    record(id, await guarded(check, limitMs));
  };

  const before = plan.phase !== 'after';
  const after = plan.phase !== 'before';
  const local = localUrl(options);
  let identity: CallerIdentity | undefined;
  let credentialsFailed = false;
  const needsCredentials = skip('Needs working AWS credentials (see credentials)');

  if (before || (after && !local)) {
    const outcome = await guarded(async () => {
      const checked = await checkCredentials(ports, settings);
      identity = checked.identity;
      return checked.finding;
    }, checkMs);
    credentialsFailed = outcome.status === 'fail';
    record('credentials', outcome);
  }
  const aws = async (id: CheckId, check: () => Promise<Finding> | Finding, limitMs?: number) =>
    credentialsFailed ? record(id, needsCredentials) : run(id, check, limitMs);

  if (before) {
    await aws('bedrock-model', () => checkModel(ports, context.modelId, region));
    await aws('client-secret', () =>
      checkClientSecret(ports, {
        name: context.githubSecretName,
        jsonKey: context.githubSecretJsonKey,
        region,
      }),
    );
    await run('github-client-id', () => checkClientId(context.githubClientId));
  }
  if (!after) return results;

  let lookup = plan.lookup;
  const usesAws = !local;
  if (!lookup && !(usesAws && credentialsFailed)) lookup = await lookUpOutputs(ports, outputsQuery(input));
  const outputs: StackOutputs | undefined = lookup?.kind === 'found' ? lookup.outputs : undefined;
  if (lookup && !(usesAws && credentialsFailed)) {
    const found = lookup;
    await run('stack-outputs', () => checkStackOutputs(found, settings.stackName, region));
  } else {
    record('stack-outputs', needsCredentials);
  }

  let provider: ProviderDescription | undefined;
  const providerName = outputs
    ? (providerNameFromArn(outputs.OAuthProviderArn) ?? context.providerName)
    : undefined;
  await aws('oauth-provider', async () => {
    const checked = await checkProvider(ports, providerName, region);
    provider = checked.provider;
    return checked.finding;
  });
  await run('callback-url', () => checkCallbackUrl(outputs?.GitHubCallbackUrl, provider));
  await run('github-callback', () =>
    checkGitHubCallback(
      provider?.callbackUrl ?? outputs?.GitHubCallbackUrl,
      provider?.clientId ?? context.githubClientId,
    ),
  );
  await aws('workload-return-urls', () =>
    checkWorkloadReturnUrls(ports, outputs?.WorkloadIdentityName, context.returnUrls, region),
  );

  const url = options.url ?? outputs?.ChatUrl;
  const signed = url !== undefined && !isLoopbackUrl(url);
  const target: EndpointTarget | undefined = url
    ? {
        url,
        signer: signed ? ports.functionUrlSigner(regionFromFunctionUrl(url) ?? region) : undefined,
        callerArn: identity?.arn,
        invokePolicyArn: outputs?.ChatInvokePolicyArn,
        fetch: ports.fetch,
      }
    : undefined;
  const endpoint = signed ? aws : run;
  await endpoint('health', () => checkHealth(target));
  const healthy = results.at(-1)?.status === 'pass';
  if (healthy) {
    await endpoint('chat-turn', () => checkChatTurn(target, input.chatMessage, chatMs), chatMs + 5_000);
  } else {
    record(
      'chat-turn',
      skip(target ? 'Skipped: GET /health did not pass' : 'Needs the ChatUrl output or --url'),
    );
  }
  await aws('invoke-policy', () => checkInvokePolicy(ports, outputs?.ChatInvokePolicyArn, region));
  return results;
}

/** Runs one check; a throw or a check outliving `limitMs` becomes a failed finding instead of ending the run. */
async function guarded(check: () => Promise<Finding> | Finding, limitMs: number): Promise<Finding> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<Finding>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          fail(
            `The check did not finish within ${Math.round(limitMs / 1000)} s`,
            'A service is slow to answer or unreachable: check the network and run doctor again.',
          ),
        ),
      limitMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(check), limit]);
  } catch (error) {
    return fail(
      `Doctor could not run this check: ${describeError(error)}`,
      'Run doctor again; report it if it persists.',
    );
  } finally {
    clearTimeout(timer);
  }
}
