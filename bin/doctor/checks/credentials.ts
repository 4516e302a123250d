import type { CallerIdentity, DoctorPorts } from '../ports';
import { type Finding, pass } from '../result';
import type { DoctorSettings } from '../settings';
import { awsCallFailed } from './aws-errors';

/**
 * `credentials`: the AWS credentials work in the stack's Region (STS GetCallerIdentity at the Regional endpoint, so a
 * mistyped or disabled Region fails here too). Returns the identity for the checks that print who is calling.
 */
export async function checkCredentials(
  ports: Pick<DoctorPorts, 'callerIdentity'>,
  settings: Pick<DoctorSettings, 'region' | 'regionSource'>,
): Promise<{ finding: Finding; identity?: CallerIdentity }> {
  try {
    const identity = await ports.callerIdentity();
    return {
      finding: pass(
        `${identity.arn} (account ${identity.account}) in ${settings.region} (Region from ${settings.regionSource})`,
      ),
      identity,
    };
  } catch (error) {
    return { finding: awsCallFailed(error, 'call STS GetCallerIdentity', settings.region) };
  }
}
