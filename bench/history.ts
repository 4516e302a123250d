import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ChatMessage } from '../lambdas/agent/model';
import { userIdForPrincipal } from '../lambdas/chat/identity';
import { loadConfig } from '../lambdas/config';
import { createSessionStore } from '../lambdas/sessions/messages';
import { timeChat } from './http-stream';
import { startBenchServer } from './spawn-server';
import { percentile } from './stats';

export interface HistoryResult {
  stored: number;
  turns: number;
  p50: number;
  p95: number;
  /** Messages of history a turn loads (the newest that fit HISTORY_TOKEN_BUDGET). */
  sentMessages: number;
}

/** (c) Turn latency (request → done) for sessions that already hold `sizes` messages. */
export async function measureHistory(sizes: number[], turns: number): Promise<HistoryResult[]> {
  const server = await startBenchServer('history');
  const client = new DynamoDBClient({
    endpoint: server.dynamo,
    region: 'ap-southeast-2',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  // The defaults the server runs with (HISTORY_TOKEN_BUDGET, SESSION_TTL_DAYS).
  const defaults = loadConfig({
    AWS_REGION: 'local',
    MODEL_ID: 'bench',
    SESSIONS_TABLE: 'bench',
    PLANS_TABLE: 'bench',
  });
  try {
    const store = createSessionStore({
      client,
      tableName: server.sessionsTable,
      ttlDays: defaults.SESSION_TTL_DAYS,
    });
    const userId = userIdForPrincipal('arn:aws:iam::000000000000:user/bench', 'AIDABENCH00000000');
    const results: HistoryResult[] = [];
    const seed = async (sessionId: string, size: number) => {
      const messages: ChatMessage[] = [];
      for (let index = 0; index < size; index += 2) {
        messages.push({
          role: 'user',
          content: [{ text: `Question ${index}: ${'how does this work? '.repeat(8)}` }],
        });
        messages.push({
          role: 'assistant',
          content: [{ text: `Answer ${index}: ${'it works like this. '.repeat(12)}` }],
        });
      }
      for (let offset = 0; offset < messages.length; offset += 500) {
        await store.append(userId, sessionId, messages.slice(offset, offset + 500));
      }
    };
    for (const size of sizes) {
      // Each turn adds two messages: a small session gets a fresh copy per turn so it stays at its size.
      const fresh = size < 100;
      const sessionFor = (turn: number) => (fresh ? `bench-${size}-${turn}` : `bench-${size}`);
      if (!fresh) await seed(sessionFor(0), size);
      const times: number[] = [];
      for (let turn = -1; turn < turns; turn++) {
        const sessionId = sessionFor(turn);
        if (fresh) await seed(sessionId, size);
        const timing = await timeChat(server.url, { message: 'one more question', session_id: sessionId });
        // Turn -1 warms the server up and is not counted.
        if (timing.ok && turn >= 0) times.push(timing.doneMs);
      }
      const sessionId = sessionFor(turns - 1);
      results.push({
        stored: size,
        turns: times.length,
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        sentMessages: (await store.loadRecent(userId, sessionId, defaults.HISTORY_TOKEN_BUDGET)).length,
      });
    }
    return results;
  } finally {
    client.destroy();
    await server.close();
  }
}
