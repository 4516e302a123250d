import { describe, expect, it } from 'vitest';
import { createBedrockRuntimeClient, createDynamoDbClient } from '../../lambdas/aws-clients';

const settings = {
  region: 'ap-southeast-2',
  timeouts: { connectMs: 1_000, requestMs: 1_000 },
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};

describe('AWS clients', () => {
  it('skip the SDK logger middleware, which filters every input and output for a logger we never set', () => {
    // Arrange / act
    const clients = [createDynamoDbClient(settings), createBedrockRuntimeClient(settings)];

    // Assert
    for (const client of clients) {
      expect(client.middlewareStack.identify().some((entry) => entry.startsWith('loggerMiddleware'))).toBe(
        false,
      );
    }
  });
});
