import type { DoctorPorts } from '../ports';
import { describeError, errorMessage, errorName, type Finding, fail, pass, warn } from '../result';
import { awsCallFailed } from './aws-errors';

const USE_CASE_FIX =
  'Submit the Anthropic first-time-use form once for the account (or the organization management account): Bedrock ' +
  'console → Model catalog → the Anthropic model → submit the use case details (or `aws bedrock ' +
  'put-use-case-for-model-access`). Access is granted right after; run doctor again.';

const MARKETPLACE_FIX =
  "The account's first call to an Anthropic model creates its AWS Marketplace subscription, and the caller needs " +
  '`aws-marketplace:Subscribe` and `aws-marketplace:ViewSubscriptions` for that (the chat function deliberately ' +
  'has neither). Run doctor (or the Bedrock console playground) once as a principal that has them, wait 2 minutes ' +
  'for the subscription, then run doctor again.';

/**
 * `bedrock-model`: the chat function's model (or inference profile) answers in the stack's Region. Sends one Converse
 * request with `maxTokens: 1` (a few input tokens are billed). For an account's first use of an Anthropic model this
 * call is what starts the Marketplace subscription, so its errors say exactly which one-time step is missing.
 */
export async function checkModel(
  ports: Pick<DoctorPorts, 'probeModel'>,
  modelId: string,
  region: string,
): Promise<Finding> {
  try {
    await ports.probeModel(modelId);
    return pass(`${modelId} answered in ${region}`);
  } catch (error) {
    return modelFinding(error, modelId, region);
  }
}

/** Maps a Converse error to what is missing; the message texts are Bedrock's own. */
export function modelFinding(error: unknown, modelId: string, region: string): Finding {
  const name = errorName(error);
  const message = errorMessage(error).toLowerCase();
  const said = `${modelId} in ${region}: ${describeError(error)}`;
  if (message.includes('use case')) return fail(said, USE_CASE_FIX);
  if (message.includes('marketplace')) return fail(said, MARKETPLACE_FIX);
  switch (name) {
    case 'AccessDeniedException':
      if (message.includes('not authorized to perform') && message.includes('bedrock:')) {
        // Doctor's own principal lacks bedrock:InvokeModel: says nothing about the account's model access.
        return warn(
          `Your credentials may not invoke ${modelId}, so model access could not be checked (${describeError(error)})`,
          'Run doctor as a principal allowed bedrock:InvokeModel on the model (the chat function has its own role).',
        );
      }
      return fail(
        said,
        'Model access is missing for the account: open the model in the Bedrock console (Model catalog) in this ' +
          'Region and send one prompt in the playground, which enables it; check that no SCP denies Bedrock.',
      );
    case 'ResourceNotFoundException':
      if (
        message.includes('legacy') ||
        message.includes('end of life') ||
        message.includes('end of its life')
      ) {
        return fail(said, 'The model is retired: deploy with `-c modelId=<a current model or profile>`.');
      }
      return fail(
        said,
        `The model is not offered in ${region}: pick a model or inference profile available there ` +
          '(`aws bedrock list-inference-profiles --region <region>`) and deploy with `-c modelId=...`.',
      );
    case 'ValidationException':
      if (message.includes('on-demand throughput') || message.includes('inference profile')) {
        return fail(
          said,
          'This model is only served through an inference profile: use its profile id (e.g. `au.`, `us.`, `eu.`, ' +
            '`global.` + the model id) with `-c modelId=...`.',
        );
      }
      return fail(
        said,
        'The model id is wrong for this Region: a geographic profile (`us.`, `eu.`, `apac.`, `au.`, `jp.`) works ' +
          'only from Regions of its geography. Fix `-c modelId=...` (or `-c region=...`).',
      );
    case 'ThrottlingException':
    case 'ServiceQuotaExceededException':
      return warn(
        `${modelId} is reachable but throttled in ${region} (${describeError(error)})`,
        'Bedrock quotas (requests or tokens per minute) are low or in use: request an increase in Service Quotas.',
      );
    default:
      return awsCallFailed(error, `invoke ${modelId}`, region);
  }
}
