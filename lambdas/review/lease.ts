import type { PlanStatus } from '../agent/events';
import type { StoredPlan } from './ports';

/** The statuses a run holds a lease in. */
export const RUNNING_STATUSES: PlanStatus[] = ['approved', 'executing'];

/** How long a run counts as alive after its last heartbeat unless configured (ReviewSettings.leaseSeconds). */
export const DEFAULT_LEASE_SECONDS = 300;

/**
 * A plan written before leases existed has none: its run is surely over once Lambda's hard limit (15 minutes) has
 * passed since its last write.
 */
export const LEGACY_LEASE_SECONDS = 900;

/** When the plan's run stops counting as alive (epoch seconds), or undefined when the plan is not running. */
export function leaseExpiry(plan: Pick<StoredPlan, 'status' | 'lease' | 'updatedAt'>): number | undefined {
  if (!RUNNING_STATUSES.includes(plan.status)) return undefined;
  return plan.lease?.expiresAt ?? Math.floor(Date.parse(plan.updatedAt) / 1000) + LEGACY_LEASE_SECONDS;
}

/** Whether the plan is `approved`/`executing` but its run has stopped renewing its lease: it is stuck. */
export function leaseLapsed(
  plan: Pick<StoredPlan, 'status' | 'lease' | 'updatedAt'>,
  nowSeconds: number,
): boolean {
  const expiry = leaseExpiry(plan);
  return expiry !== undefined && expiry <= nowSeconds;
}
