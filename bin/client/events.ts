import * as z from 'zod';
import type { ChatEvent } from '../../lambdas/agent/events';

const planStatus = z.enum(['pending', 'approved', 'executing', 'completed', 'failed', 'cancelled']);

/** The server's events as the client needs them; extra fields are tolerated so newer servers keep working. */
const chatEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session'), session_id: z.string() }),
  z.object({ type: z.literal('token'), content: z.string() }),
  z.object({ type: z.literal('tool_use'), tool_name: z.string(), tool_input: z.unknown() }),
  z.object({ type: z.literal('tool_result'), tool_name: z.string(), ok: z.boolean(), summary: z.string() }),
  z.object({
    type: z.literal('oauth_url'),
    url: z.string(),
    session_uri: z.string(),
    state_hash: z.string(),
    user_code: z.string().optional(),
  }),
  z.object({ type: z.literal('plan'), plan_id: z.string(), plan: z.unknown(), markdown: z.string() }),
  z.object({
    type: z.literal('status'),
    plan_id: z.string(),
    status: planStatus,
    current_step: z.string(),
    progress: z.number(),
    issues: z.array(z.string()),
    updated_at: z.string(),
  }),
  z.object({ type: z.literal('review_posted'), plan_id: z.string(), url: z.string() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('done') }),
]);

/** A parsed `data:` payload: a known event, or something this client does not understand (kept for --json). */
export type ParsedEvent =
  | { ok: true; event: ChatEvent; raw: unknown }
  | { ok: false; raw: unknown; reason: string };

/** Parses one SSE `data` payload into a {@link ChatEvent}. */
export function parseChatEvent(data: string): ParsedEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { ok: false, raw: data, reason: 'not JSON' };
  }
  const parsed = chatEventSchema.safeParse(raw);
  if (!parsed.success) {
    const type = typeof raw === 'object' && raw !== null && 'type' in raw ? String(raw.type) : '(none)';
    return { ok: false, raw, reason: `unrecognised event of type ${type}` };
  }
  // The schema mirrors ChatEvent; error codes are kept as strings so a newer server's codes still render.
  return { ok: true, event: parsed.data as ChatEvent, raw };
}
