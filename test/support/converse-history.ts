import type { ChatMessage } from '../../lambdas/agent/model';

/**
 * What Bedrock's Converse API would refuse in `history` followed by a new user message: roles must alternate starting
 * with a user text message, every tool use must be answered in the next message by results for exactly its ids, no
 * result may stand without its use, and the history must end with an assistant message that asks for no tool.
 * Empty when the history is acceptable.
 */
export function converseHistoryProblems(history: ChatMessage[]): string[] {
  const problems: string[] = [];
  history.forEach((message, index) => {
    const expected = index % 2 === 0 ? 'user' : 'assistant';
    if (message.role !== expected) problems.push(`message ${index} is ${message.role}, expected ${expected}`);
    const uses = message.content.flatMap((block) => ('toolUse' in block ? [block.toolUse.toolUseId] : []));
    const results = (history[index + 1]?.content ?? []).flatMap((block) =>
      'toolResult' in block ? [block.toolResult.toolUseId] : [],
    );
    if (uses.length > 0 && (uses.length !== results.length || uses.some((id) => !results.includes(id)))) {
      problems.push(
        `message ${index}: tool uses ${uses.join(',')} answered by ${results.join(',') || 'nothing'}`,
      );
    }
    const own = message.content.flatMap((block) =>
      'toolResult' in block ? [block.toolResult.toolUseId] : [],
    );
    const asked = (history[index - 1]?.content ?? []).flatMap((block) =>
      'toolUse' in block ? [block.toolUse.toolUseId] : [],
    );
    if (own.some((id) => !asked.includes(id)))
      problems.push(`message ${index}: results without their tool use`);
    if (index === 0 && own.length > 0) problems.push('the history starts with tool results');
  });
  const last = history.at(-1);
  if (last !== undefined && (last.role !== 'assistant' || last.content.some((block) => 'toolUse' in block))) {
    problems.push('the history does not end with a finished assistant reply');
  }
  return problems;
}
