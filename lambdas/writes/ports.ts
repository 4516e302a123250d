import type { ErrorCode } from '../agent/events';

/** A withheld write's life: `pending` → `executing` → `completed` | `failed`; `pending` → `cancelled`. */
export type WriteStatus = 'pending' | 'executing' | 'completed' | 'failed' | 'cancelled';

/** One GitHub write withheld for the user's explicit approval, with the exact arguments it will run with. */
export interface PendingWrite {
  userId: string;
  /** `w_…`: what the user approves or cancels. */
  actionId: string;
  sessionId: string;
  toolName: string;
  /** The validated tool input, run as stored (the model cannot change it after the user saw it). */
  toolInput: unknown;
  /** One line for people: what the write would do. */
  summary: string;
  status: WriteStatus;
  createdAt: string;
  updatedAt: string;
  /** Epoch seconds: after this a pending write can no longer be approved. */
  expiresAt: number;
  /** What running it gave (the tool's summary), once it ran. */
  outcome?: string;
}

/** A status change, applied only when the write is in one of `from` (and, leaving `pending`, not expired). */
export interface WriteTransition {
  from: WriteStatus[];
  to: WriteStatus;
  outcome?: string;
}

/** Where withheld writes live; every transition is one conditional write, so approving twice runs once. */
export interface PendingWriteStore {
  create(write: PendingWrite): Promise<void>;
  /** @throws ActionNotFoundError, ActionExpiredError */
  get(userId: string, actionId: string): Promise<PendingWrite>;
  /** The session's pending, unexpired writes, newest first. */
  listPending(userId: string, sessionId: string): Promise<PendingWrite[]>;
  /** @throws ActionNotFoundError, ActionExpiredError, ActionConflictError */
  transition(userId: string, actionId: string, change: WriteTransition): Promise<PendingWrite>;
}

/** Whether a session has fed the model text written by other people (kept for the session's whole life). */
export interface SessionTrust {
  isUntrusted(userId: string, sessionId: string): Promise<boolean>;
  markUntrusted(userId: string, sessionId: string): Promise<void>;
}

/** A refusal the user can act on: `code` goes into the `error` event. */
export class ActionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

export class ActionNotFoundError extends ActionError {
  constructor(actionId: string) {
    super('action_not_found', `There is no withheld action ${actionId} for you in this conversation.`);
    this.name = 'ActionNotFoundError';
  }
}

export class ActionExpiredError extends ActionError {
  constructor(actionId: string) {
    super(
      'action_expired',
      `Action ${actionId} waited too long for approval and has expired; nothing was done. Ask again to make a new one.`,
    );
    this.name = 'ActionExpiredError';
  }
}

export class ActionConflictError extends ActionError {
  constructor(
    actionId: string,
    readonly currentStatus: WriteStatus,
    outcome?: string,
  ) {
    super('action_conflict', conflictMessage(actionId, currentStatus, outcome));
    this.name = 'ActionConflictError';
  }
}

function conflictMessage(actionId: string, status: WriteStatus, outcome: string | undefined): string {
  switch (status) {
    case 'pending':
      return `Action ${actionId} is still waiting for your approval.`;
    case 'executing':
      return `Action ${actionId} is already approved and running; it is never run twice.`;
    case 'completed':
      return `Action ${actionId} already ran${outcome ? `: ${outcome}` : ''}.`;
    case 'failed':
      return `Action ${actionId} already ran and failed${outcome ? `: ${outcome}` : ''}; ask again to try anew.`;
    case 'cancelled':
      return `Action ${actionId} was cancelled; ask again to make a new one.`;
  }
}
