import { describe, expect, it } from 'vitest';
import {
  createPreludeParser,
  installLambdaGlobals,
  LocalResponseStream,
  type StreamedResponseHead,
} from '../../bin/local/lambda-runtime';

installLambdaGlobals();

function capture() {
  const heads: StreamedResponseHead[] = [];
  const body: string[] = [];
  const stream: LocalResponseStream = new LocalResponseStream(
    createPreludeParser(
      () => stream.contentType,
      (head) => heads.push(head),
      (chunk) => body.push(chunk.toString('utf8')),
    ),
  );
  return { stream, heads, body };
}

const end = (stream: LocalResponseStream) => new Promise<void>((resolve) => stream.end(() => resolve()));

describe('local Lambda response streaming', () => {
  it('sends the prelude (status and headers) with the first write, then the body', async () => {
    const { stream, heads, body } = capture();
    const http = awslambda.HttpResponseStream.from(stream, { statusCode: 201, headers: { 'X-Test': 'yes' } });

    http.write('first');
    http.write('second');
    await end(stream);

    expect(heads).toEqual([{ statusCode: 201, headers: { 'x-test': 'yes' }, cookies: [] }]);
    expect(body).toEqual(['first', 'second']);
  });

  it('loses the prelude when the handler ends before writing, as Lambda does', async () => {
    const { stream, heads, body } = capture();
    awslambda.HttpResponseStream.from(stream, { statusCode: 404 });

    await end(stream);

    expect(heads).toEqual([]);
    expect(body).toEqual([]);
  });

  it('relays each chunk as soon as it is written', () => {
    const { stream, body } = capture();
    const http = awslambda.HttpResponseStream.from(stream, { statusCode: 200 });

    http.write('a');
    const afterFirst = [...body];
    http.write('b');

    expect(afterFirst).toEqual(['a']);
    expect(body).toEqual(['a', 'b']);
  });

  it('keeps existing members of the awslambda global', () => {
    const scope = globalThis as unknown as { awslambda: Record<string, unknown> };
    scope.awslambda.InvokeStore = 'kept';

    installLambdaGlobals();

    expect(scope.awslambda.InvokeStore).toBe('kept');
    expect(typeof scope.awslambda.streamifyResponse).toBe('function');
  });
});
