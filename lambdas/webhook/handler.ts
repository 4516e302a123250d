/**
 * The webhook function's entry point (its own function URL, auth NONE: GitHub cannot sign with SigV4; every delivery
 * is checked against the HMAC signature instead). Cold start validates the environment and builds the clients once.
 */

import { createWebhookHandler } from './app';
import { loadWebhookConfig } from './config';
import { createReceiverDeps } from './wiring';

export const handler = createWebhookHandler(createReceiverDeps(loadWebhookConfig()));
