import Bottleneck from 'bottleneck';
import type { CreateOctokitOptions } from '../../../lambdas/github/client';

/**
 * Octokit options for tests and the offline demo: back-off and Retry-After waits of 1 ms per second, and write /
 * notification limiters without Octokit's 1 s and 3 s spacing (which would make every POST wait).
 * `bottleneck` comes with @octokit/plugin-throttling; it is not a dependency of ours.
 */
export function fastOctokitOptions(): Pick<CreateOctokitOptions, 'retryAfterBaseValue' | 'throttle'> {
  const fast = () => new Bottleneck.Group({ maxConcurrent: 10, minTime: 0 });
  return {
    retryAfterBaseValue: 1,
    throttle: { write: fast(), notifications: fast(), search: fast() },
  };
}
