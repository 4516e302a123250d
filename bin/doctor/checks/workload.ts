import type { DoctorPorts } from '../ports';
import { type Finding, fail, pass, skip } from '../result';
import { awsCallFailed } from './aws-errors';

/**
 * `workload-return-urls`: the workload identity allows every return URL of the `returnUrls` context (the chat
 * function sends the first as `resourceOauth2ReturnUrl`; AgentCore refuses any URL the identity does not list).
 */
export async function checkWorkloadReturnUrls(
  ports: Pick<DoctorPorts, 'workloadIdentity'>,
  name: string | undefined,
  expected: string[],
  region: string,
): Promise<Finding> {
  if (!name) return skip('Needs the stack outputs (see stack-outputs)');
  let identity: Awaited<ReturnType<DoctorPorts['workloadIdentity']>>;
  try {
    identity = await ports.workloadIdentity(name);
  } catch (error) {
    return awsCallFailed(error, `get workload identity "${name}"`, region);
  }
  if (!identity) {
    return fail(`No workload identity "${name}" in ${region}`, 'Deploy again: the stack creates it.');
  }
  const missing = expected.filter((url) => !identity.returnUrls.includes(url));
  if (missing.length > 0) {
    const allowed = identity.returnUrls.length > 0 ? identity.returnUrls.join(', ') : 'none';
    return fail(
      `Workload identity "${name}" does not allow ${missing.join(', ')} (it allows: ${allowed})`,
      "Deploy with the same -c returnUrls=... you pass doctor (cdk.json by default), so the stack registers them; the client's --callback-port must match one of them.",
    );
  }
  return pass(`"${name}" allows ${identity.returnUrls.join(', ')}`);
}
