import type { ChatMessage, ContentBlock } from '../agent/model';
import { loadPrompt } from '../prompts';

/**
 * The most UTF-8 bytes one stored message may take as JSON. DynamoDB refuses an item over 400 KB (names and values
 * together), and a refused item loses its whole turn, so a message stays well clear of it.
 */
export const MAX_STORED_MESSAGE_BYTES = 300_000;

/** One string a message can give up: a tool result's content, a text block, or a tool use's input. */
interface Slot {
  text: string;
  set(value: string): void;
}

/**
 * The message as it can be stored: unchanged when it fits `maxBytes`, otherwise with its largest tool results cut to
 * one common length (each with a "[truncated …]" note for the model), then its texts, then its tool inputs as a last
 * resort. Every block stays where it is, so tool uses and results still pair up, and the JSON stays valid.
 * @throws Error only when even that cannot fit (a message of thousands of blocks), which the store reports
 */
export function fitMessage(message: ChatMessage, maxBytes = MAX_STORED_MESSAGE_BYTES): ChatMessage {
  if (storedBytes(message) <= maxBytes) return message;
  for (const kinds of [['result'], ['result', 'text'], ['result', 'text', 'input']] as const) {
    const fitted = shrinkToFit(message, new Set(kinds), maxBytes);
    if (fitted !== undefined) return fitted;
  }
  throw new Error(
    `A ${message.role} message of ${storedBytes(message)} bytes cannot be cut to ${maxBytes} bytes`,
  );
}

/** The size DynamoDB counts for the message's body attribute. */
export function storedBytes(message: ChatMessage): number {
  return Buffer.byteLength(JSON.stringify(message), 'utf8');
}

type SlotKind = 'result' | 'text' | 'input';

/**
 * Binary search for the longest common length the chosen slots can keep: every slot longer than it is cut to it, so
 * the biggest results give up the most and small ones are untouched. Undefined when even a length of 0 is too big.
 */
function shrinkToFit(message: ChatMessage, kinds: Set<SlotKind>, maxBytes: number): ChatMessage | undefined {
  const build = (keep: number) => cutSlots(message, kinds, keep);
  if (storedBytes(build(0)) > maxBytes) return undefined;
  let fits = 0;
  let tooBig = longestSlot(message, kinds);
  while (tooBig - fits > 1) {
    const middle = Math.floor((fits + tooBig) / 2);
    if (storedBytes(build(middle)) <= maxBytes) fits = middle;
    else tooBig = middle;
  }
  return build(fits);
}

function longestSlot(message: ChatMessage, kinds: Set<SlotKind>): number {
  const copy = structuredClone(message);
  return Math.max(0, ...slotsOf(copy, kinds).map((slot) => slot.text.length));
}

/** A copy of `message` whose chosen slots longer than `keep` characters are cut to `keep` plus the note. */
function cutSlots(message: ChatMessage, kinds: Set<SlotKind>, keep: number): ChatMessage {
  const copy = structuredClone(message);
  for (const slot of slotsOf(copy, kinds)) {
    if (slot.text.length > keep) slot.set(cut(slot.text, keep));
  }
  return copy;
}

function cut(text: string, keep: number): string {
  // Never split a surrogate pair: half a character is not valid UTF-8 once stored.
  const end = keep > 0 && isHighSurrogate(text.charCodeAt(keep - 1)) ? keep - 1 : keep;
  return `${text.slice(0, end)}${loadPrompt('stored-truncated', { kept: end, total: text.length }).trimEnd()}`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The strings of a (copied) message that may be cut, each with a setter that writes the cut text back in place. */
function slotsOf(message: ChatMessage, kinds: Set<SlotKind>): Slot[] {
  const slots: Slot[] = [];
  message.content.forEach((block, index) => {
    if ('toolResult' in block && kinds.has('result')) {
      const content = block.toolResult.content;
      content.forEach((part, partIndex) => {
        const text = 'text' in part ? part.text : JSON.stringify(part.json);
        // Cut JSON is no longer JSON: it is stored as text, which Bedrock accepts in a tool result just the same.
        slots.push({ text, set: (value) => (content[partIndex] = { text: value }) });
      });
    } else if ('text' in block && kinds.has('text')) {
      slots.push({ text: block.text, set: (value) => (message.content[index] = { text: value }) });
    } else if ('toolUse' in block && kinds.has('input')) {
      const { toolUse } = block;
      slots.push({
        text: JSON.stringify(toolUse.input),
        // A tool input must stay a JSON object: what is kept of it goes into one string field.
        set: (value) => {
          const replaced: ContentBlock = { toolUse: { ...toolUse, input: { truncated_input: value } } };
          message.content[index] = replaced;
        },
      });
    }
  });
  return slots;
}
