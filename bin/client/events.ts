import * as z from 'zod';
import { type ChatEvent, chatEventSchema, errorEventSchema } from '../../lambdas/chat/protocol';

/**
 * An `error` event whose code this client does not know yet (a newer server): still an error, shown with its code.
 * Every other event is parsed with the protocol's own schema (lambdas/chat/protocol.ts); extra fields are tolerated.
 */
const unknownCodeErrorSchema = errorEventSchema.extend({ code: z.string() });

/** What the client acts on: a protocol event, or an error with a code from a newer server. */
export type ReceivedEvent = ChatEvent | z.infer<typeof unknownCodeErrorSchema>;

/** A parsed `data:` payload: a known event, or something this client does not understand (kept for --json). */
export type ParsedEvent =
  | { ok: true; event: ReceivedEvent; raw: unknown }
  | { ok: false; raw: unknown; reason: string };

/** Parses one SSE `data` payload into a {@link ReceivedEvent}. */
export function parseChatEvent(data: string): ParsedEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { ok: false, raw: data, reason: 'not JSON' };
  }
  const parsed = chatEventSchema.safeParse(raw);
  if (parsed.success) return { ok: true, event: parsed.data, raw };
  const error = unknownCodeErrorSchema.safeParse(raw);
  if (error.success) return { ok: true, event: error.data, raw };
  const type = typeof raw === 'object' && raw !== null && 'type' in raw ? String(raw.type) : '(none)';
  return { ok: false, raw, reason: `unrecognised event of type ${type}` };
}
