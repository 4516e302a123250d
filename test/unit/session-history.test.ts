import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../lambdas/agent/model';
import { repairHistory } from '../../lambdas/sessions/history';
import { converseHistoryProblems } from '../support/converse-history';

const user = (text: string): ChatMessage => ({ role: 'user', content: [{ text }] });
const assistant = (text: string): ChatMessage => ({ role: 'assistant', content: [{ text }] });
const toolUse = (...ids: string[]): ChatMessage => ({
  role: 'assistant',
  content: ids.map((id) => ({ toolUse: { toolUseId: id, name: 'create_github_issue', input: {} } })),
});
const toolResult = (...ids: string[]): ChatMessage => ({
  role: 'user',
  content: ids.map((id) => ({ toolResult: { toolUseId: id, status: 'success', content: [{ text: 'ok' }] } })),
});

describe('repairHistory', () => {
  it('leaves a well-formed history unchanged', () => {
    const history = [
      user('a'),
      toolUse('t1', 't2'),
      toolResult('t2', 't1'),
      assistant('done'),
      user('b'),
      assistant('ok'),
    ];

    expect(repairHistory(history)).toEqual(history);
  });

  it('answers a trailing tool use with a "not saved" error result and closes the turn', () => {
    const repaired = repairHistory([user('open an issue'), toolUse('t1')]);

    expect(converseHistoryProblems(repaired)).toEqual([]);
    expect(repaired[2]?.content).toEqual([
      {
        toolResult: {
          toolUseId: 't1',
          status: 'error',
          content: [{ text: expect.stringMatching(/not saved/) }],
        },
      },
    ]);
    expect(repaired[3]).toEqual(assistant(expect.stringMatching(/interrupted/)));
  });

  it('closes a turn whose last saved message is the user’s', () => {
    const repaired = repairHistory([
      user('a'),
      assistant('ok'),
      user('b'),
      user('c'),
      assistant('answer to c'),
    ]);

    expect(converseHistoryProblems(repaired)).toEqual([]);
    expect(repaired.filter((message) => message.role === 'user')).toEqual([user('a'), user('b'), user('c')]);
  });

  it('drops results whose tool use was lost, and merges the assistant messages the gap left adjacent', () => {
    const repaired = repairHistory([
      user('a'),
      toolUse('t1'),
      toolResult('t1'),
      toolResult('t2'),
      assistant('x'),
    ]);

    expect(repaired).toEqual([user('a'), toolUse('t1'), toolResult('t1'), assistant('x')]);
  });

  it('merges two assistant replies whose user message between them was lost', () => {
    const repaired = repairHistory([user('a'), assistant('one'), assistant('two')]);

    expect(repaired).toEqual([user('a'), { role: 'assistant', content: [{ text: 'one' }, { text: 'two' }] }]);
  });

  it('still cuts a head that starts with tool results', () => {
    expect(repairHistory([toolResult('t0'), assistant('x'), user('a'), assistant('b')])).toEqual([
      user('a'),
      assistant('b'),
    ]);
  });
});
