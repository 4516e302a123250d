import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import type { ChatEvent } from '../../lambdas/agent/events';
import {
  type ChatMessage,
  ModelError,
  type ModelPort,
  type ModelStreamEvent,
} from '../../lambdas/agent/model';
import { ConsentRequiredError, defineTool, type Tool } from '../../lambdas/agent/tool';
import { createToolSet } from '../../lambdas/agent/tool-specs';
import { type ChatTurnDeps, runChatTurn } from '../../lambdas/agent/turn';
import { IdentityError } from '../../lambdas/identity/errors';
import type { GitHubTokenPort } from '../../lambdas/identity/port';
import { createEmfAutoReviewMetrics } from '../../lambdas/metrics/auto-review';
import { createEmfMetrics, emfDocument, type MetricUnit } from '../../lambdas/metrics/emf';
import { meterModel } from '../../lambdas/metrics/model-meter';
import { type MetricsPort, noopMetrics } from '../../lambdas/metrics/port';
import { estimateCostUsd, priceFor } from '../../lambdas/metrics/prices';
import { meterTokenPort } from '../../lambdas/metrics/token-port-meter';
import { parsePlanCommand, runPlanCommand } from '../../lambdas/review/commands';
import type { ReviewDeps } from '../../lambdas/review/ports';
import { planReview } from '../../lambdas/review/workflow';
import {
  createFakeGitHub,
  createMemoryPlanStore,
  createScriptedModel,
  prFile,
  VALID_PLAN,
} from '../support/review-fakes';

/** One EMF line as CloudWatch reads it. */
interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

let stdout: string[];

beforeEach(() => {
  stdout = [];
  // EMF lines (ours, and Powertools' in the comparison below) are written to process.stdout: read what reaches it.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const emfLines = (): EmfLine[] =>
  stdout
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as EmfLine);

/** The line that defines metric `name` under exactly these dimension names. */
function lineWith(name: string, dimensions: string[]): EmfLine {
  const found = emfLines().filter((line) =>
    line._aws.CloudWatchMetrics.some(
      (directive) =>
        directive.Metrics.some((metric) => metric.Name === name) &&
        directive.Dimensions.some((set) => [...set].sort().join() === [...dimensions].sort().join()),
    ),
  );
  expect(found, `one EMF line with ${name} by ${dimensions.join(',')}`).toHaveLength(1);
  return found[0] as EmfLine;
}

const unitsOf = (line: EmfLine): Record<string, string> =>
  Object.fromEntries(
    line._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics).map((m) => [m.Name, m.Unit]),
  );

function scriptedModel(turns: ModelStreamEvent[][]): ModelPort {
  return {
    async *stream() {
      for (const event of turns.shift() ?? []) yield event;
    },
  };
}

function failingTool(name: string): Tool {
  return defineTool({
    name,
    description: 'always fails',
    input: z.object({}),
    readOnly: true,
    run: async () => ({ ok: false, summary: 'failed', content: { error: 'nope' } }),
  });
}

function turnDeps(model: ModelPort, metrics: MetricsPort, tools: Tool[] = []): ChatTurnDeps {
  const saved: ChatMessage[][] = [];
  return {
    model,
    sessions: {
      open: async (_user, sessionId) => ({
        sessionId,
        title: 'earlier',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        messageCount: 2,
      }),
      loadRecent: async () => [],
      append: async (_user, _session, messages) => {
        saved.push(messages);
      },
    },
    consents: { remember: async () => undefined },
    limits: { maxIterations: 4, maxOutputTokens: 256, reserveMs: 0, historyTokenBudget: 1000 },
    systemPrompt: 'be brief',
    tools: createToolSet(tools),
    newSessionId: () => 's-new',
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    metrics,
  };
}

async function runTurn(deps: ChatTurnDeps): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  await runChatTurn(deps, {
    userId: 'user-1',
    message: 'hello',
    emit: (event) => events.push(event),
    remainingMs: () => 60_000,
  });
  return events;
}

/** One model call's tokens, as the scripted models below report them. */
const usage = {
  inputTokens: 1000,
  outputTokens: 200,
  cacheReadInputTokens: 4000,
  cacheWriteInputTokens: 0,
};

describe('EMF documents', () => {
  type Metric = [name: string, unit: MetricUnit, value: number];
  /** What Powertools Metrics writes for these metrics and dimensions (besides `service`). */
  const powertoolsDocument = (dimensions: Record<string, string>, metrics: Metric[]): EmfLine => {
    const powertools = new Metrics({ namespace: 'GitHubCodingAgent', serviceName: 'chat' });
    for (const [name, value] of Object.entries(dimensions)) powertools.addDimension(name, value);
    for (const [name, unit, value] of metrics) powertools.addMetric(name, unit, value);
    powertools.publishStoredMetrics();
    const [line] = emfLines();
    return line as EmfLine;
  };

  it.each([
    ['by service only', {}],
    ['by service and one more dimension', { Outcome: 'model_throttled' }],
  ])('are the documents Powertools Metrics writes, %s', (_case, dimensions: Record<string, string>) => {
    // Arrange
    const metrics: Metric[] = [
      ['Turns', 'Count', 1],
      ['TimeToFirstToken', 'Milliseconds', 412],
      ['EstimatedCostUsd', 'None', 0.000123],
    ];
    const expected = powertoolsDocument(dimensions, metrics);

    // Act
    const ours = JSON.parse(
      emfDocument('GitHubCodingAgent', { service: 'chat', ...dimensions }, metrics, expected._aws.Timestamp),
    ) as EmfLine;

    // Assert
    expect(ours).toEqual(expected);
  });
});

describe('an EMF line that cannot be written', () => {
  it('is reported as a warning and never fails the caller', () => {
    // Arrange
    vi.spyOn(process.stdout, 'write').mockImplementation(() => {
      throw new Error('EPIPE');
    });
    const warnings: string[] = [];
    const metrics = createEmfMetrics({
      namespace: 'TestNamespace',
      service: 'test-stack',
      logger: { warn: (message) => warnings.push(String(message)) },
    });

    // Act
    const consent = () => metrics.consent('started');

    // Assert
    expect(consent).not.toThrow();
    expect(warnings).toEqual(['A metric could not be written']);
  });
});

describe('EMF metrics of a chat turn', () => {
  beforeEach(async () => {
    const metrics = createEmfMetrics({ namespace: 'TestNamespace', service: 'test-stack' });
    const model = meterModel(
      scriptedModel([
        [
          { type: 'tool_use', toolUseId: 't1', name: 'list_github_repos', input: {} },
          { type: 'tool_use', toolUseId: 't2', name: 'made_up_tool', input: {} },
          { type: 'stop', reason: 'tool_use', usage },
        ],
        [
          { type: 'text', delta: 'Done.' },
          { type: 'stop', reason: 'end_turn', usage },
        ],
      ]),
      metrics,
      priceFor('global.anthropic.claude-sonnet-4-6'),
    );
    await runTurn(turnDeps(model, metrics, [failingTool('list_github_repos')]));
  });

  it('writes the turn line in the namespace, by service only, with each unit', () => {
    const line = lineWith('Turns', ['service']);

    expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe('TestNamespace');
    expect(line.service).toBe('test-stack');
    expect(unitsOf(line)).toEqual({
      Turns: 'Count',
      TurnErrors: 'Count',
      TimeToFirstToken: 'Milliseconds',
      TurnDuration: 'Milliseconds',
      TurnModelCalls: 'Count',
      ToolCalls: 'Count',
      ToolFailures: 'Count',
    });
    expect(line).toMatchObject({ Turns: 1, TurnErrors: 0, TurnModelCalls: 2, ToolCalls: 2, ToolFailures: 2 });
    expect(line.TimeToFirstToken).toEqual(expect.any(Number));
  });

  it('counts the outcome by Outcome', () => {
    expect(lineWith('TurnOutcomes', ['service', 'Outcome'])).toMatchObject({
      Outcome: 'completed',
      TurnOutcomes: 1,
    });
  });

  it('counts tool failures by Tool, folding names the model made up into "unknown"', () => {
    const byTool = emfLines().filter((line) => 'Tool' in line);

    expect(byTool.map((line) => [line.Tool, line.ToolFailures]).sort()).toEqual([
      ['list_github_repos', 1],
      ['unknown', 1],
    ]);
  });

  it("writes each model call's tokens and estimated cost", () => {
    const calls = emfLines().filter((line) => 'ModelCalls' in line);

    expect(calls).toHaveLength(2);
    expect(unitsOf(calls[0] as EmfLine)).toEqual({
      ModelCalls: 'Count',
      InputTokens: 'Count',
      OutputTokens: 'Count',
      CacheReadInputTokens: 'Count',
      CacheWriteInputTokens: 'Count',
      EstimatedCostUsd: 'None',
    });
    // 1000 × $3 + 200 × $15 + 4000 × $0.30 per million tokens
    expect(calls[0]).toMatchObject({ InputTokens: 1000, OutputTokens: 200, CacheReadInputTokens: 4000 });
    expect(calls[0]?.EstimatedCostUsd).toBeCloseTo(0.0072, 10);
  });

  it('never puts a user or session id in a dimension or value', () => {
    const text = stdout.join('');

    expect(text).not.toContain('user-1');
    expect(text).not.toContain('s-new');
    for (const line of emfLines()) {
      for (const set of line._aws.CloudWatchMetrics.flatMap((directive) => directive.Dimensions)) {
        expect(['service', 'Outcome', 'Tool']).toEqual(expect.arrayContaining(set));
      }
    }
  });
});

describe("EMF metrics of a chat turn whose model calls go in the turn's line (the chat function)", () => {
  beforeEach(async () => {
    const metrics = createEmfMetrics({ namespace: 'TestNamespace', service: 'test-stack' });
    const model = scriptedModel([
      [
        { type: 'tool_use', toolUseId: 't1', name: 'list_github_repos', input: {} },
        { type: 'stop', reason: 'tool_use', usage },
      ],
      [
        { type: 'text', delta: 'Done.' },
        { type: 'stop', reason: 'end_turn', usage },
      ],
    ]);
    await runTurn({
      ...turnDeps(model, metrics, [failingTool('list_github_repos')]),
      meterModelCalls: { price: priceFor('global.anthropic.claude-sonnet-4-6') },
    });
  });

  it('writes the calls, their summed tokens and cost in the one turn line', () => {
    const calls = emfLines().filter((line) => 'ModelCalls' in line);

    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      Turns: 1,
      TurnModelCalls: 2,
      ModelCalls: 2,
      InputTokens: 2000,
      OutputTokens: 400,
      CacheReadInputTokens: 8000,
      CacheWriteInputTokens: 0,
    });
    expect(calls[0]?.EstimatedCostUsd).toBeCloseTo(2 * 0.0072, 10);
    expect(unitsOf(calls[0] as EmfLine)).toMatchObject({ ModelCalls: 'Count', EstimatedCostUsd: 'None' });
  });

  it('writes no line of its own per model call: the turn (with its calls), its outcome, its tool failure', () => {
    expect(emfLines().map((line) => line._aws.CloudWatchMetrics[0]?.Dimensions)).toEqual([
      [['service']],
      [['service', 'Outcome']],
      [['service', 'Tool']],
    ]);
  });
});

describe('turn outcomes', () => {
  const recorded = () => {
    const turns: Parameters<MetricsPort['turnCompleted']>[0][] = [];
    const consents: string[] = [];
    const metrics: MetricsPort = {
      ...noopMetrics,
      turnCompleted: (summary) => turns.push(summary),
      consent: (event) => consents.push(event),
    };
    return { metrics, turns, consents };
  };

  it('counts a model failure as an error outcome with its code', async () => {
    const { metrics, turns } = recorded();
    const failing: ModelPort = {
      stream: () => ({
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.reject(new ModelError('model_throttled', 'busy')),
        }),
      }),
    };

    await runTurn(turnDeps(failing, metrics));

    expect(turns).toEqual([expect.objectContaining({ outcome: 'model_throttled', modelCalls: 1 })]);
    expect(turns[0]?.firstTokenMs).toBeUndefined();
  });

  it('reports a consent link as consent_required and a started consent', async () => {
    const { metrics, turns, consents } = recorded();
    const needsConsent = defineTool({
      name: 'list_github_repos',
      description: 'needs consent',
      input: z.object({}),
      readOnly: true,
      run: async () => {
        throw new ConsentRequiredError('https://github.example/authorize', 'urn:session', 'secret-state');
      },
    });
    const model = scriptedModel([
      [
        { type: 'tool_use', toolUseId: 't1', name: 'list_github_repos', input: {} },
        { type: 'stop', reason: 'tool_use' },
      ],
    ]);

    await runTurn(turnDeps(model, metrics, [needsConsent]));

    expect(turns.map((turn) => turn.outcome)).toEqual(['consent_required']);
    expect(consents).toEqual(['started']);
  });

  it('reports a turn that throws as internal_error and lets the error through', async () => {
    const { metrics, turns } = recorded();
    const throwing: ChatTurnDeps = {
      ...turnDeps(scriptedModel([]), metrics),
      bindTurn: () => {
        throw new Error('the turn could not be bound');
      },
    };

    await expect(runTurn(throwing)).rejects.toThrow('the turn could not be bound');
    expect(turns.map((turn) => turn.outcome)).toEqual(['internal_error']);
  });
});

describe('a turn refused by the per-user budget', () => {
  it('counts as its own Outcome, rate_limited, and not as a server-side error', async () => {
    const metrics = createEmfMetrics({ namespace: 'TestNamespace', service: 'test-stack' });
    const resetsAt = new Date(Date.UTC(2030, 0, 1, 11));
    const refusing = {
      charge: async () => ({
        ok: false as const,
        kind: 'turns' as const,
        limit: 2,
        resetsAt,
        resetsInMinutes: 35,
      }),
    };

    const events = await runTurn({ ...turnDeps(scriptedModel([]), metrics), budget: refusing });

    expect(events.map((event) => event.type)).toEqual(['session', 'error']);
    expect(lineWith('TurnOutcomes', ['service', 'Outcome'])).toMatchObject({ Outcome: 'rate_limited' });
    expect(lineWith('Turns', ['service'])).toMatchObject({ TurnErrors: 0, TurnModelCalls: 0 });
  });
});

describe('review metrics of an approved review', () => {
  /** A review of two files and a skipped lock file, with one finding on a diff line and one off the diff. */
  async function approveThroughTurn(): Promise<void> {
    const metrics = createEmfMetrics({ namespace: 'TestNamespace', service: 'test-stack' });
    let ids = 0;
    const review: ReviewDeps = {
      github: createFakeGitHub({
        files: [
          prFile('agent-tasks/a.ts', ['+const a = 1;']),
          prFile('agent-tasks/b.ts', ['+const b = 2;']),
          prFile('agent-tasks/package-lock.json', ['+{}']),
        ],
      }),
      plans: createMemoryPlanStore(),
      model: createScriptedModel((request) =>
        request.system.startsWith('You plan')
          ? VALID_PLAN
          : JSON.stringify({
              findings: [
                { path: 'agent-tasks/a.ts', line: 1, severity: 'minor', message: 'On the diff' },
                { path: 'agent-tasks/a.ts', line: 40, severity: 'minor', message: 'Off the diff' },
              ],
            }),
      ),
      now: () => new Date(),
      newId: () => `p_${++ids}`,
      settings: {
        pathPrefixes: ['agent-tasks/'],
        planTtlHours: 24,
        chunkTokenBudget: 6000,
        maxOutputTokens: 1000,
      },
      metrics,
    };
    await planReview(review, {
      userId: 'user-1',
      sessionId: 's-new',
      ref: { owner: 'o', repo: 'r', number: 1 },
    });
    const deps: ChatTurnDeps = {
      ...turnDeps(scriptedModel([]), metrics),
      planCommands: {
        parse: parsePlanCommand,
        run: (scope, command, signal) => runPlanCommand(review, { ...scope, command, signal }),
        listPending: async () => [],
      },
    };
    await runChatTurn(deps, {
      userId: 'user-1',
      message: 'approve',
      emit: () => undefined,
      remainingMs: () => 60_000,
    });
  }

  it("writes one ReviewsPosted line with the review's figures (the turn meter does not count it again)", async () => {
    await approveThroughTurn();

    const posted = lineWith('ReviewsPosted', ['service']);
    expect(posted).toMatchObject({
      ReviewsPosted: 1,
      ReviewFilesReviewed: 2,
      ReviewFilesSkipped: 1,
      ReviewInlineComments: 1,
      ReviewCommentsMovedToBody: 1,
    });
    expect(posted.ReviewDuration).toEqual(expect.any(Number));
    expect(unitsOf(posted)).toMatchObject({ ReviewFilesReviewed: 'Count', ReviewDuration: 'Milliseconds' });
  });

  it('writes ReviewJsonRepairs and ReviewStructuredOutputs by Output for the plan and each part', async () => {
    await approveThroughTurn();

    const byOutput = emfLines().filter((line) => 'Output' in line);
    expect(byOutput.map((line) => line.Output)).toEqual(['plan', 'findings']);
    for (const line of byOutput) {
      expect(line._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'Output']]);
      expect(unitsOf(line)).toEqual({ ReviewJsonRepairs: 'Count', ReviewStructuredOutputs: 'Count' });
      // The scripted model answers valid JSON, unconstrained.
      expect(line).toMatchObject({ ReviewJsonRepairs: 0, ReviewStructuredOutputs: 0 });
    }
  });

  it('counts a repaired, constrained answer as 1 and 1', () => {
    createEmfMetrics({ namespace: 'TestNamespace', service: 'test-stack' }).reviewJson({
      output: 'findings',
      repaired: true,
      constrained: true,
    });

    expect(lineWith('ReviewJsonRepairs', ['service', 'Output'])).toMatchObject({
      Output: 'findings',
      ReviewJsonRepairs: 1,
      ReviewStructuredOutputs: 1,
    });
  });
});

describe('review findings metrics', () => {
  it('writes the posted findings by Severity and the filtered ones by service only', () => {
    const metrics = createEmfMetrics({ namespace: 'TestNamespace', service: 'test-stack' });

    metrics.reviewFindings?.({
      bySeverity: { critical: 1, major: 2, minor: 0, nit: 0 },
      belowThreshold: 3,
      droppedBySelfCheck: 1,
      selfCheckFailures: 0,
    });

    expect(lineWith('ReviewFindingsBelowThreshold', ['service'])).toMatchObject({
      ReviewFindingsBelowThreshold: 3,
      ReviewFindingsDroppedBySelfCheck: 1,
      ReviewSelfCheckFailures: 0,
    });
    const bySeverity = emfLines().filter((line) => typeof line.Severity === 'string');
    expect(bySeverity.map((line) => [line.Severity, line.ReviewFindings])).toEqual([
      ['critical', 1],
      ['major', 2],
      ['minor', 0],
      ['nit', 0],
    ]);
  });
});

describe('auto-review metrics', () => {
  it('counts a delivery and the jobs it queued, and a job by its outcome, by service only', () => {
    // Arrange
    const metrics = createEmfAutoReviewMetrics({ namespace: 'TestNamespace', service: 'test-stack' });

    // Act
    metrics.delivery('accepted', 2);
    metrics.job('failed');

    // Assert
    expect(lineWith('WebhookDeliveriesAccepted', ['service'])).toMatchObject({
      service: 'test-stack',
      WebhookDeliveriesAccepted: 1,
      AutoReviewJobsQueued: 2,
    });
    expect(unitsOf(lineWith('AutoReviewJobsFailed', ['service']))).toEqual({ AutoReviewJobsFailed: 'Count' });
  });
});

describe('consent metrics from the token port', () => {
  const port = (complete: () => Promise<void>): GitHubTokenPort => ({
    getToken: async () => ({ kind: 'token', token: 't' }),
    completeConsent: complete,
  });

  it('counts completed, failed, expired and forced consents', async () => {
    const events: string[] = [];
    const metrics: MetricsPort = { ...noopMetrics, consent: (event) => events.push(event) };

    await meterTokenPort(
      port(async () => undefined),
      metrics,
    ).completeConsent('u', 's');
    await expect(
      meterTokenPort(
        port(async () => {
          throw new IdentityError('consent_failed', 'refused');
        }),
        metrics,
      ).completeConsent('u', 's'),
    ).rejects.toThrow('refused');
    await expect(
      meterTokenPort(
        port(async () => {
          throw new IdentityError('consent_expired', 'too late');
        }),
        metrics,
      ).completeConsent('u', 's'),
    ).rejects.toThrow('too late');
    await meterTokenPort(
      port(async () => undefined),
      metrics,
    ).getToken({ userId: 'u', forceAuthentication: true });

    expect(events).toEqual(['completed', 'failed', 'expired', 'forced']);
  });
});

describe('prices', () => {
  it('prices a global profile at list price and a geographic one 10 % higher', () => {
    expect(priceFor('global.anthropic.claude-sonnet-4-6')).toEqual({
      input: 3,
      output: 15,
      cacheRead: 0.3,
      cacheWrite: 3.75,
    });
    expect(priceFor('au.anthropic.claude-sonnet-4-6')).toEqual({
      input: 3.3,
      output: 16.5,
      cacheRead: 0.33,
      cacheWrite: 4.125,
    });
  });

  it('takes an exact override first, and knows no price for an unknown model', () => {
    const overrides = { 'au.anthropic.claude-sonnet-4-6': { input: 1, output: 2 } };

    expect(priceFor('au.anthropic.claude-sonnet-4-6', overrides)).toEqual({ input: 1, output: 2 });
    expect(priceFor('meta.llama3-70b-instruct-v1:0')).toBeUndefined();
  });

  it('reads the profile id out of an inference profile ARN', () => {
    expect(
      priceFor(
        'arn:aws:bedrock:ap-southeast-2:123456789012:inference-profile/global.anthropic.claude-sonnet-4-6',
      )?.input,
    ).toBe(3);
  });

  it('charges cache tokens at the input price when a model has no cache price', () => {
    expect(
      estimateCostUsd(
        { inputTokens: 1_000_000, outputTokens: 0, cacheReadInputTokens: 1_000_000 },
        { input: 2, output: 10 },
      ),
    ).toBe(4);
  });
});
