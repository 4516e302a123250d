import { type OutputsLookup, REQUIRED_OUTPUTS } from '../outputs';
import { type Finding, fail, pass, skip, warn } from '../result';
import { awsCallFailed } from './aws-errors';

const EVENTS_FIX = (stack: string, region: string) =>
  `Read why in the stack events (\`aws cloudformation describe-stack-events --stack-name ${stack} --region ${region}\`), ` +
  'fix the cause and deploy again.';

/** `stack-outputs`: the deployed stack (or the outputs file) has every output the other checks read. */
export function checkStackOutputs(lookup: OutputsLookup, stackName: string, region: string): Finding {
  switch (lookup.kind) {
    case 'local':
      return skip(`${lookup.url} is a local server (npm run dev): no stack to check`);
    case 'missing':
      return fail(
        lookup.reason,
        `Deploy first (npx cdk deploy), or point doctor at the stack: --stack <name> --region <region>, or --outputs-file <file of cdk deploy --outputs-file>.`,
      );
    case 'error':
      return awsCallFailed(lookup.error, lookup.during, region);
    case 'found':
      break;
  }
  const missing = REQUIRED_OUTPUTS.filter((key) => !lookup.outputs[key]);
  const from = lookup.source === 'file' ? lookup.file : `CloudFormation (${lookup.status})`;
  if (lookup.source === 'cloudformation') {
    const { status } = lookup;
    if (status.endsWith('_IN_PROGRESS')) {
      return warn(
        `Stack ${stackName} is ${status}`,
        'Wait for CloudFormation to finish, then run doctor again.',
      );
    }
    if (status.includes('ROLLBACK') || status.endsWith('_FAILED') || status.startsWith('DELETE')) {
      const reason = lookup.statusReason ? `: ${lookup.statusReason}` : '';
      return fail(`Stack ${stackName} is ${status}${reason}`, EVENTS_FIX(stackName, region));
    }
  }
  if (missing.length > 0) {
    return fail(
      `Stack outputs from ${from} lack ${missing.join(', ')}`,
      'The stack was deployed by an older version of this project (or the file is from another stack): deploy again.',
    );
  }
  return pass(`${REQUIRED_OUTPUTS.length} outputs of ${stackName} from ${from}`);
}
