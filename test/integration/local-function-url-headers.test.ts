import { afterEach, describe, expect, it } from 'vitest';
import { type LocalFunctionUrl, startLocalFunctionUrl } from '../../bin/local/function-url';
import { installLambdaGlobals } from '../../bin/local/lambda-runtime';

/**
 * The local function URL sends a streamed response's status and headers with its first body chunk (one socket write,
 * not two). A client must still get them at once, before the rest of the body, as from the real function URL.
 */

let server: LocalFunctionUrl | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('local function URL response head', () => {
  it('reaches the client while the handler still holds back the rest of the body', async () => {
    // Arrange: a handler that writes one chunk, then waits until the client has seen the head.
    installLambdaGlobals();
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    server = await startLocalFunctionUrl({
      handler: awslambda.streamifyResponse(async (_event, responseStream) => {
        const stream = awslambda.HttpResponseStream.from(responseStream, {
          statusCode: 201,
          headers: { 'content-type': 'text/event-stream', 'x-test': 'head' },
        });
        stream.write('data: first\n\n');
        await held;
        stream.end('data: last\n\n');
      }),
      userArn: 'arn:aws:iam::000000000000:user/alice',
    });

    // Act: fetch resolves with the head alone.
    const response = await fetch(`${server.url}/chat/stream`, { method: 'POST', body: '{}' });

    // Assert
    expect(response.status).toBe(201);
    expect(response.headers.get('x-test')).toBe('head');
    release?.();
    expect(await response.text()).toBe('data: first\n\ndata: last\n\n');
  });
});
