import type { ModelRequest } from '../agent/model';

/**
 * Bytes per token assumed when estimating. Real tokenizers average 3.5-4 characters per token on English and code;
 * counting UTF-8 bytes over 3 stays on the safe side for symbol-dense code and for non-Latin text (3 bytes ≈ 1 token).
 */
const BYTES_PER_TOKEN = 3;

/** Per message, for role markers and block framing. */
const MESSAGE_OVERHEAD_TOKENS = 8;

/** A conservative token estimate for `text`: ceil(UTF-8 bytes / 3). */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN);
}

/**
 * Estimated input tokens of a whole model request (system prompt, every message's text and JSON blocks, overheads).
 * Review chunk requests must stay at or under REVIEW_CHUNK_TOKEN_BUDGET by this measure; tests assert it too.
 */
export function estimateRequestTokens(request: Pick<ModelRequest, 'system' | 'messages'>): number {
  let total = estimateTokens(request.system) + MESSAGE_OVERHEAD_TOKENS;
  for (const message of request.messages) {
    total += MESSAGE_OVERHEAD_TOKENS;
    for (const block of message.content) {
      if ('text' in block) total += estimateTokens(block.text);
      else total += estimateTokens(JSON.stringify(block));
    }
  }
  return total;
}

/** Cuts `text` to at most `maxTokens` (estimated), marking the cut so a reader knows something is missing. */
export function clipToTokens(text: string, maxTokens: number, marker = '\n[...cut]'): string {
  if (estimateTokens(text) <= maxTokens) return text;
  const maxBytes = Math.max(0, maxTokens * BYTES_PER_TOKEN - Buffer.byteLength(marker, 'utf8'));
  // Cut on a character boundary: slice by code units, then shrink until the byte length fits.
  let end = Math.min(text.length, maxBytes);
  while (end > 0 && Buffer.byteLength(text.slice(0, end), 'utf8') > maxBytes) end = Math.floor(end * 0.9);
  // Never split a surrogate pair.
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + marker;
}
