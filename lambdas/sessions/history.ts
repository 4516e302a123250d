import type { ChatMessage, ContentBlock } from '../agent/model';
import { loadPrompt } from '../prompts';

/**
 * Makes a slice of stored history one Bedrock accepts, whatever the store lost: it starts with a user text message,
 * roles alternate, every tool use is answered in the next message by results for exactly its ids, no result stands
 * without its use, and it ends with an assistant message without tool uses (the next turn adds a user message).
 *
 * The head is cut (the budget may have cut a turn in half); anything else is repaired rather than dropped, because a
 * lost item must not hide what already happened: a tool use whose results were not saved gets an error result saying
 * so (it may have written to GitHub: the model must not simply repeat it), and a turn whose end was not saved gets
 * the interrupted-turn note. Results that answer nothing are dropped; two assistant messages in a row are merged.
 */
export function repairHistory(messages: ChatMessage[]): ChatMessage[] {
  const start = messages.findIndex((message) => message.role === 'user' && !hasToolResults(message));
  if (start === -1) return [];
  const repaired: ChatMessage[] = [];
  const closeOpenTurn = () => {
    const last = repaired.at(-1);
    if (last?.role === 'assistant' && hasToolUses(last)) repaired.push(lostResults(last));
    if (repaired.at(-1)?.role === 'user') repaired.push(interruptedNote());
  };

  for (const message of messages.slice(start)) {
    const last = repaired.at(-1);
    if (message.role === 'assistant') {
      if (last?.role === 'assistant' && hasToolUses(last)) repaired.push(lostResults(last));
      const previous = repaired.at(-1);
      if (previous?.role === 'assistant') {
        // The user message between them was lost: one assistant message with both replies is still valid.
        repaired[repaired.length - 1] = {
          role: 'assistant',
          content: [...previous.content, ...message.content],
        };
      } else {
        repaired.push(message);
      }
    } else if (hasToolResults(message)) {
      // Results are valid only right after the use that asked for them, and only as a whole set.
      if (last?.role === 'assistant' && answers(message, last)) repaired.push(message);
    } else {
      closeOpenTurn();
      repaired.push(message);
    }
  }
  closeOpenTurn();
  return repaired;
}

function hasToolUses(message: ChatMessage): boolean {
  return message.content.some((block) => 'toolUse' in block);
}

function hasToolResults(message: ChatMessage): boolean {
  return message.content.some((block) => 'toolResult' in block);
}

function toolUseIds(message: ChatMessage): string[] {
  return message.content.flatMap((block) => ('toolUse' in block ? [block.toolUse.toolUseId] : []));
}

/** Whether `results` answers every tool use of `use` and nothing else. */
function answers(results: ChatMessage, use: ChatMessage): boolean {
  const wanted = toolUseIds(use);
  const given = results.content.flatMap((block) =>
    'toolResult' in block ? [block.toolResult.toolUseId] : [],
  );
  return (
    wanted.length > 0 &&
    given.length === wanted.length &&
    new Set(given).size === given.length &&
    wanted.every((id) => given.includes(id))
  );
}

/** Error results for tool uses whose real results were not saved. */
function lostResults(use: ChatMessage): ChatMessage {
  const text = loadPrompt('lost-tool-result').trim();
  return {
    role: 'user',
    content: toolUseIds(use).map(
      (toolUseId): ContentBlock => ({ toolResult: { toolUseId, status: 'error', content: [{ text }] } }),
    ),
  };
}

function interruptedNote(): ChatMessage {
  return {
    role: 'assistant',
    content: [
      { text: loadPrompt('interrupted-turn', { reason: 'the rest of this turn was not saved' }).trim() },
    ],
  };
}
