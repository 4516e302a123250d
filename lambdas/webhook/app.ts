import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { type ReceiverDeps, receiveDelivery } from './receiver';

/**
 * The function URL's view of {@link receiveDelivery}: header names lower-cased (function URLs already send them so),
 * the body back to its exact bytes (function URLs base64-encode bodies they do not take for text), JSON out.
 */
export function createWebhookHandler(deps: ReceiverDeps) {
  return async (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    const response = await receiveDelivery(deps, { method: event.requestContext.http.method, headers, body });
    return {
      statusCode: response.statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(response.body),
    };
  };
}
