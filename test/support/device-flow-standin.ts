import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the token endpoint answers to one poll. */
export type DeviceOutcome =
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'access_denied'
  | 'success';

/**
 * A local stand-in for GitHub's OAuth device flow endpoints:
 * - `POST /login/device/code` {client_id, scope} → {device_code, user_code, verification_uri, expires_in, interval}
 * - `POST /login/oauth/access_token` {client_id, device_code, grant_type} → {access_token, token_type, scope} or
 *   `{error, error_description[, interval]}` with HTTP 200, as GitHub does
 * - `GET /login/device?user_code=XXXX-XXXX` plays the user confirming the code in the browser (offline demo).
 * Bodies may be form-encoded or JSON.
 */
export interface DeviceFlowStandin {
  url: string;
  requests: RecordedDeviceRequest[];
  /** From the next poll on, the device code behind `userCode` answers with the token. */
  approve(userCode: string): void;
  /** From the next poll on, the device code behind `userCode` answers `access_denied`. */
  deny(userCode: string): void;
  close(): Promise<void>;
}

/** One recorded request. */
export interface RecordedDeviceRequest {
  path: string;
  body: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
}

/** How the stand-in behaves. */
export interface DeviceFlowStandinOptions {
  clientId?: string;
  /** The polling interval it announces, in seconds (GitHub's default is 5). */
  interval?: number;
  /** The device code's lifetime it announces, in seconds. */
  expiresIn?: number;
  /**
   * Answers to successive polls of each device code; the last one repeats.
   * Default: `authorization_pending` until {@link DeviceFlowStandin.approve} or the `/login/device` page is used.
   */
  script?: DeviceOutcome[];
  /** The token handed out on success. */
  token?: string;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

interface DeviceCode {
  userCode: string;
  polls: number;
  interval: number;
  override?: DeviceOutcome;
}

/** Starts the stand-in on 127.0.0.1 with an OS-chosen port. */
export async function startDeviceFlowStandin(
  options: DeviceFlowStandinOptions = {},
): Promise<DeviceFlowStandin> {
  const clientId = options.clientId ?? 'Iv1.standin-client';
  const interval = options.interval ?? 5;
  const expiresIn = options.expiresIn ?? 900;
  const script = options.script ?? ['authorization_pending'];
  const token = options.token ?? 'gho_device_standin_token_0123456789';
  const requests: RecordedDeviceRequest[] = [];
  const codes = new Map<string, DeviceCode>();
  let baseUrl = '';

  const byUserCode = (userCode: string): DeviceCode | undefined =>
    [...codes.values()].find((code) => code.userCode === userCode);

  const setOverride = (userCode: string, outcome: DeviceOutcome): void => {
    const code = byUserCode(userCode);
    if (!code) throw new Error(`Unknown user code ${userCode}`);
    code.override = outcome;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    if (req.method === 'GET' && url.pathname === '/login/device') {
      const userCode = url.searchParams.get('user_code');
      if (userCode && byUserCode(userCode)) {
        setOverride(userCode, 'success');
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<p>Device connected. Return to your terminal.</p>');
      } else {
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<p>Add <code>?user_code=XXXX-XXXX</code> to confirm a device code.</p>');
      }
      return;
    }
    const body = await readForm(req);
    requests.push({ path: url.pathname, body, headers: { ...req.headers } });
    if (req.method !== 'POST') return json(res, 404, { error: 'not_found' });

    if (url.pathname === '/login/device/code') {
      if (body.client_id !== clientId) return json(res, 200, { error: 'incorrect_client_credentials' });
      const deviceCode = randomBytes(20).toString('hex');
      const raw = randomBytes(4).toString('hex').toUpperCase();
      const userCode = `${raw.slice(0, 4)}-${raw.slice(4)}`;
      codes.set(deviceCode, { userCode, polls: 0, interval });
      return json(res, 200, {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: `${baseUrl}/login/device`,
        expires_in: expiresIn,
        interval,
      });
    }

    if (url.pathname === '/login/oauth/access_token') {
      if (body.grant_type !== DEVICE_GRANT) return json(res, 200, { error: 'unsupported_grant_type' });
      if (body.client_id !== clientId) return json(res, 200, { error: 'incorrect_client_credentials' });
      const code = codes.get(body.device_code ?? '');
      if (!code) return json(res, 200, { error: 'incorrect_device_code' });
      const outcome =
        code.override ?? script[Math.min(code.polls, script.length - 1)] ?? 'authorization_pending';
      code.polls += 1;
      switch (outcome) {
        case 'success':
          codes.delete(body.device_code ?? '');
          return json(res, 200, {
            access_token: token,
            token_type: 'bearer',
            scope: body.scope ?? 'repo,read:user',
          });
        case 'slow_down':
          code.interval += 5;
          return json(res, 200, {
            error: 'slow_down',
            error_description: 'Too many requests have been made in the same timeframe.',
            interval: code.interval,
          });
        default:
          return json(res, 200, { error: outcome, error_description: `stand-in says ${outcome}` });
      }
    }
    return json(res, 404, { error: 'not_found' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    requests,
    approve: (userCode) => setOverride(userCode, 'success'),
    deny: (userCode) => setOverride(userCode, 'access_denied'),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw.length === 0) return {};
  if (String(req.headers['content-type']).includes('application/json')) {
    return Object.fromEntries(
      Object.entries(JSON.parse(raw) as Record<string, unknown>).map(([key, value]) => [key, String(value)]),
    );
  }
  return Object.fromEntries(new URLSearchParams(raw));
}
