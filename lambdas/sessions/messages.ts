import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { ChatMessage } from '../agent/model';
import { randomToken } from '../random-token';
import { fitMessage, MAX_STORED_MESSAGE_BYTES } from './fit';
import { repairHistory } from './history';

/** What the session list shows of a session (its per-user index item). */
export interface SessionSummary {
  sessionId: string;
  /** The session's first user message, whitespace-collapsed, at most 80 characters ('' until there is one). */
  title: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601: the last save. */
  updatedAt: string;
  messageCount: number;
}

/** Chat history per user and session: one item per message, so a session never nears DynamoDB's 400 KB item limit. */
export interface SessionStore {
  /** Whether `sessionId` exists for this user (another user's session id simply does not). */
  exists(userId: string, sessionId: string): Promise<boolean>;
  /** The session's summary, or undefined when this user has no such unexpired session (one consistent read). */
  open(userId: string, sessionId: string): Promise<SessionSummary | undefined>;
  /** The user's unexpired sessions, most recently saved first, at most `limit`. */
  list(userId: string, limit: number): Promise<SessionSummary[]>;
  /**
   * The session's newest `maxMessages` stored messages, oldest first, as stored (no repair): for showing a
   * conversation, not for the model.
   */
  transcript(userId: string, sessionId: string, maxMessages: number): Promise<ChatMessage[]>;
  /**
   * The newest messages that fit `budgetTokens`, oldest first, as a history Bedrock accepts: it starts at a user text
   * message, never separates a tool use from its result, and messages a failed write lost are repaired around (see
   * repairHistory). Cost depends on the budget, not the session's length.
   */
  loadRecent(userId: string, sessionId: string, budgetTokens: number): Promise<ChatMessage[]>;
  /**
   * Appends a turn's messages in order (none: just creates or touches the session) and refreshes its expiry. A message
   * too big for one item is stored with its largest tool results cut (see fitMessage), so a turn is never lost to
   * DynamoDB's 400 KB item limit.
   *
   * `previous` is what {@link SessionStore.open} gave at the start of this turn (`null`: the session is new). With it
   * the session's index item is one more put in the messages' batch (one request); without it (`undefined`) it is an
   * UpdateItem alongside. Two concurrent turns of one session that both pass `previous` may undercount
   * `messageCount` (the later put wins): it is a figure for people, never used to read history.
   */
  append(
    userId: string,
    sessionId: string,
    messages: ChatMessage[],
    previous?: SessionSummary | null,
  ): Promise<void>;
}

export interface SessionStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  /** Days a session lives after its last activity (TTL attribute `expires_at`). */
  ttlDays: number;
  now?: () => number;
  /**
   * Messages read per Query page (default 200). DynamoDB bills the data read, not the page size, so bigger pages only
   * save round trips; at most one page's worth beyond the budget is read and dropped.
   */
  pageSize?: number;
  /** Never read more than this many messages for one turn, whatever the budget (default 400). */
  maxMessages?: number;
  /** First retry delay for a batch write's unprocessed items, doubled per attempt (default 200 ms). */
  retryBaseMs?: number;
}

const messageSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.array(z.record(z.string(), z.unknown())).min(1),
});

/** Where sessions saved before the per-user index kept their summary (read only: see readLegacyMeta). */
const LEGACY_META_SK = 'META';
const MSG_PREFIX = 'MSG#';
const INDEX_PREFIX = 'SESSION#';
const BATCH_LIMIT = 25;
const MAX_BATCH_ATTEMPTS = 5;
const TITLE_CHARACTERS = 80;

type Item = Record<string, AttributeValue>;

/** The partition key of a session's messages: every item of a session sits under its owner's id. */
export function sessionKey(userId: string, sessionId: string): string {
  return `USER#${userId}#SESSION#${sessionId}`;
}

/** The key of a session's index item: all of a user's sessions in one partition, so listing them is one Query. */
export function sessionIndexKey(userId: string, sessionId: string): Item {
  return { pk: { S: `USER#${userId}` }, sk: { S: `${INDEX_PREFIX}${sessionId}` } };
}

/** A session's title: its first user text, whitespace collapsed, cut to 80 characters ('' when there is none). */
export function sessionTitle(messages: readonly ChatMessage[]): string {
  for (const message of messages) {
    if (message.role !== 'user') continue;
    const text = message.content
      .flatMap((block) => ('text' in block ? [block.text] : []))
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
    // By code point, so a cut never splits a surrogate pair.
    if (text !== '') return Array.from(text).slice(0, TITLE_CHARACTERS).join('');
  }
  return '';
}

/** A rough token count (characters / 4): used only to bound history, never to bill. */
export function estimateTokens(message: ChatMessage): number {
  return Math.ceil(JSON.stringify(message.content).length / 4);
}

/** The DynamoDB session store (table keys `pk`/`sk`, TTL attribute `expires_at`). */
export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { client, tableName } = options;
  const now = options.now ?? Date.now;
  const pageSize = options.pageSize ?? 200;
  const maxMessages = options.maxMessages ?? 400;
  const retryBaseMs = options.retryBaseMs ?? 200;
  const expiresAt = () => String(Math.floor(now() / 1000) + options.ttlDays * 86_400);

  const nowSeconds = () => Math.floor(now() / 1000);
  const unexpired = (item: Item) => Number(item.expires_at?.N ?? 0) > nowSeconds();

  /** Sessions saved before the index item existed: their META item, until they expire (SESSION_TTL_DAYS). */
  const readLegacyMeta = async (userId: string, sessionId: string): Promise<SessionSummary | undefined> => {
    const result = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: sessionKey(userId, sessionId) }, sk: { S: LEGACY_META_SK } },
        ConsistentRead: true,
      }),
    );
    if (result.Item === undefined || !unexpired(result.Item)) return undefined;
    return toSummary({ ...result.Item, session_id: { S: sessionId } });
  };

  /**
   * The session's unexpired messages, read newest first a page at a time for as long as `keep` takes them (it sees
   * each message, its item and how many it has taken), returned oldest first. Reads are consistent: the previous turn
   * was written moments ago, and an eventually consistent read could return it half-written.
   */
  const readNewestFirst = async (
    userId: string,
    sessionId: string,
    limit: number,
    keep: (message: ChatMessage, item: Item, kept: number) => boolean,
  ): Promise<ChatMessage[]> => {
    const newestFirst: ChatMessage[] = [];
    let cursor: QueryCommandOutput['LastEvaluatedKey'];
    reading: do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
          ExpressionAttributeValues: {
            ':pk': { S: sessionKey(userId, sessionId) },
            ':msg': { S: MSG_PREFIX },
          },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: cursor,
          ConsistentRead: true,
        }),
      );
      for (const item of page.Items ?? []) {
        // TTL deletion lags by up to days: an expired item is already gone as far as readers are concerned.
        if (!unexpired(item)) break reading;
        const message = messageSchema.parse(JSON.parse(item.body?.S ?? 'null')) as ChatMessage;
        if (!keep(message, item, newestFirst.length)) break reading;
        newestFirst.push(message);
      }
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return newestFirst.reverse();
  };

  const store: SessionStore = {
    async exists(userId, sessionId) {
      return (await store.open(userId, sessionId)) !== undefined;
    },

    async open(userId, sessionId) {
      const result = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: sessionIndexKey(userId, sessionId),
          // The same user flow may have just created the session: an eventually consistent read could miss it.
          ConsistentRead: true,
        }),
      );
      if (result.Item === undefined) return readLegacyMeta(userId, sessionId);
      return unexpired(result.Item) ? toSummary(result.Item) : undefined;
    },

    async list(userId, limit) {
      // The index is keyed by session id, not time: read the user's index items (small, one page per ~5,000 sessions)
      // and sort them here, rather than pay a secondary index on every save.
      const items: Item[] = [];
      let cursor: Item | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            FilterExpression: 'expires_at > :now',
            ExpressionAttributeValues: {
              ':pk': { S: `USER#${userId}` },
              ':prefix': { S: INDEX_PREFIX },
              ':now': { N: String(nowSeconds()) },
            },
            // The list is read right after the caller's own turns: it must show them.
            ConsistentRead: true,
            ExclusiveStartKey: cursor,
          }),
        );
        items.push(...(page.Items ?? []));
        cursor = page.LastEvaluatedKey;
      } while (cursor);
      return items
        .map(toSummary)
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
        .slice(0, limit);
    },

    async transcript(userId, sessionId, maxMessages) {
      return readNewestFirst(userId, sessionId, Math.min(pageSize, maxMessages), (_message, _item, kept) => {
        return kept < maxMessages;
      });
    },

    async loadRecent(userId, sessionId, budgetTokens) {
      let used = 0;
      const newest = await readNewestFirst(userId, sessionId, pageSize, (message, item, kept) => {
        const cost = Number(item.tokens?.N ?? estimateTokens(message));
        if (used + cost > budgetTokens || kept >= maxMessages) return false;
        used += cost;
        return true;
      });
      return repairHistory(newest);
    },

    async append(userId, sessionId, messages, previous) {
      const pk = sessionKey(userId, sessionId);
      const expiry = expiresAt();
      const at = new Date(now()).toISOString();
      // Sort keys order messages by time, then by position in the turn; the random part keeps concurrent turns apart.
      const turnKey = `${MSG_PREFIX}${String(now()).padStart(15, '0')}#${randomToken(4, 'hex')}`;
      const writes: WriteRequest[] = messages.map((original, index) => {
        const { message, body } = storedForm(original);
        return {
          PutRequest: {
            Item: {
              pk: { S: pk },
              sk: { S: `${turnKey}#${String(index).padStart(3, '0')}` },
              role: { S: message.role },
              body: { S: body },
              tokens: { N: String(tokensOfBody(body, message.role)) },
              expires_at: { N: expiry },
            },
          },
        };
      });
      if (previous !== undefined) {
        // The index item goes in the first batch: when a later batch of a long turn fails, the session still exists
        // for the next turn, whose history read repairs the gap (as it did when the META update ran alongside).
        writes.unshift({
          PutRequest: {
            Item: indexItem(
              userId,
              sessionId,
              {
                sessionId,
                title: previous?.title || sessionTitle(messages),
                createdAt: previous?.createdAt ?? at,
                updatedAt: at,
                messageCount: (previous?.messageCount ?? 0) + messages.length,
              },
              expiry,
            ),
          },
        });
        await writeAll(client, tableName, writes, retryBaseMs);
        return;
      }
      await Promise.all([
        writes.length > 0 ? writeAll(client, tableName, writes, retryBaseMs) : undefined,
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: sessionIndexKey(userId, sessionId),
            UpdateExpression:
              'SET session_id = :id, created_at = if_not_exists(created_at, :now), updated_at = :now, expires_at = :exp, ' +
              'title = if_not_exists(title, :title) ADD message_count :n',
            ExpressionAttributeValues: {
              ':id': { S: sessionId },
              ':now': { S: at },
              ':exp': { N: expiry },
              ':title': { S: sessionTitle(messages) },
              ':n': { N: String(messages.length) },
            },
          }),
        ),
      ]);
    },
  };
  return store;
}

/** The index item of a session (sessions table, pk `USER#<userId>`, sk `SESSION#<sessionId>`). */
function indexItem(userId: string, sessionId: string, summary: SessionSummary, expiry: string): Item {
  return {
    ...sessionIndexKey(userId, sessionId),
    session_id: { S: sessionId },
    title: { S: summary.title },
    created_at: { S: summary.createdAt },
    updated_at: { S: summary.updatedAt },
    message_count: { N: String(summary.messageCount) },
    expires_at: { N: expiry },
  };
}

function toSummary(item: Item): SessionSummary {
  const updatedAt = item.updated_at?.S ?? '';
  return {
    sessionId: item.session_id?.S ?? '',
    title: item.title?.S ?? '',
    createdAt: item.created_at?.S ?? updatedAt,
    updatedAt,
    messageCount: Number(item.message_count?.N ?? 0),
  };
}

/**
 * The message as stored and its JSON body, serialised once on the hot path: a message that fits is not measured again
 * by fitMessage, and its token estimate is read off the body's length.
 */
function storedForm(original: ChatMessage): { message: ChatMessage; body: string } {
  const body = serialise(original);
  if (Buffer.byteLength(body, 'utf8') <= MAX_STORED_MESSAGE_BYTES) return { message: original, body };
  const message = fitMessage(original);
  return { message, body: serialise(message) };
}

/** `{"role":…,"content":…}` in that order only, so the wrapper around the content has a known length. */
function serialise(message: ChatMessage): string {
  return JSON.stringify({ role: message.role, content: message.content });
}

/** Exactly {@link estimateTokens} of the message, from its body: the body less `{"role":"…","content":` and `}`. */
function tokensOfBody(body: string, role: string): number {
  return Math.ceil((body.length - role.length - 22) / 4);
}

/**
 * Writes in batches of 25, retrying unprocessed items with backoff. Items still unprocessed after the last attempt
 * leave the turn partly saved (BatchWriteItem is not atomic); loadRecent repairs around the gap.
 */
async function writeAll(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  writes: WriteRequest[],
  retryBaseMs: number,
) {
  for (let offset = 0; offset < writes.length; offset += BATCH_LIMIT) {
    let pending = writes.slice(offset, offset + BATCH_LIMIT);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_BATCH_ATTEMPTS) {
        throw new Error(
          `DynamoDB left ${pending.length} session messages unwritten after ${MAX_BATCH_ATTEMPTS} attempts`,
        );
      }
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, retryBaseMs * 2 ** (attempt - 2)));
      const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = result.UnprocessedItems?.[tableName] ?? [];
    }
  }
}
