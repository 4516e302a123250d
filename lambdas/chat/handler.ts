/**
 * The chat function's entry point (function URL, RESPONSE_STREAM, AWS_IAM). Cold start validates the environment
 * and builds every client once; each invocation goes through {@link createChatHandler}.
 */
import { loadConfig } from '../config';
import { createChatHandler } from './app';
import { createAppDeps } from './wiring';

export const handler = awslambda.streamifyResponse(createChatHandler(createAppDeps(loadConfig())));
