import type { PendingWriteStore } from './ports';

/** Ids of withheld writes start with this, so an "approve <id>" can tell them from review plans (`p_…`). */
export const WRITE_ID_PREFIX = 'w_';

/** What the user sees of a withheld write; `expiresAt` is ISO 8601. */
export interface WriteTicket {
  actionId: string;
  summary: string;
  expiresAt: string;
}

/** Stores a write the model proposed, exactly as it would run, for the user's approval. */
export type HoldWrite = (write: {
  userId: string;
  sessionId: string;
  toolName: string;
  toolInput: unknown;
  /** The tool's own description of the write; absent: the tool name and its arguments. */
  summary?: string;
}) => Promise<WriteTicket>;

export interface WriteGateDeps {
  writes: Pick<PendingWriteStore, 'create'>;
  /** How long a withheld write may wait for approval. */
  ttlMinutes: number;
  now: () => Date;
  /** A fresh random id, without the prefix. */
  newId: () => string;
}

/** Longest summary line; the client shows the full input beside it. */
const SUMMARY_CHARS = 200;

/** Builds the function that turns a withheld tool call into a stored pending write. */
export function createWriteGate(deps: WriteGateDeps): HoldWrite {
  return async ({ userId, sessionId, toolName, toolInput, summary: described }) => {
    const now = deps.now();
    const actionId = `${WRITE_ID_PREFIX}${deps.newId()}`;
    const expiresAt = Math.floor(now.getTime() / 1000) + deps.ttlMinutes * 60;
    const summary = described === undefined ? summarizeWrite(toolName, toolInput) : cut(described);
    await deps.writes.create({
      userId,
      actionId,
      sessionId,
      toolName,
      toolInput,
      summary,
      status: 'pending',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt,
    });
    return { actionId, summary, expiresAt: new Date(expiresAt * 1000).toISOString() };
  };
}

/** One line naming the tool and its arguments (cut, never the whole body). */
export function summarizeWrite(toolName: string, toolInput: unknown): string {
  return cut(`${toolName} ${JSON.stringify(toolInput ?? {})}`);
}

function cut(line: string): string {
  return line.length > SUMMARY_CHARS ? `${line.slice(0, SUMMARY_CHARS - 1)}…` : line;
}
