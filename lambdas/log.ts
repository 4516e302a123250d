import { Logger } from '@aws-lambda-powertools/logger';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/**
 * The structured JSON logger for every function. Callers log ids, counts and codes: never a token,
 * a prompt or a tool's raw output.
 */
export function createLogger(level: LogLevel = 'INFO', serviceName = 'github-coding-agent'): Logger {
  return new Logger({ serviceName, logLevel: level });
}

export type { Logger };
