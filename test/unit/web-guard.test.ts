import { describe, expect, it } from 'vitest';
import { checkRequest, type GuardedRequest } from '../../bin/client/web/guard';

const policy = { port: 8789, token: 'run-token' };
const fromPage: GuardedRequest = {
  method: 'POST',
  path: '/api/chat/stream',
  host: '127.0.0.1:8789',
  origin: 'http://127.0.0.1:8789',
  secFetchSite: 'same-origin',
  token: 'run-token',
};

describe('web page guard', () => {
  it('allows its own page: loopback Host and Origin, same-origin, the token', () => {
    expect(checkRequest(fromPage, policy)).toEqual({ ok: true });
    expect(
      checkRequest({ ...fromPage, host: 'localhost:8789', origin: 'http://localhost:8789' }, policy),
    ).toEqual({
      ok: true,
    });
  });

  it('refuses another Host, even for the page (DNS rebinding)', () => {
    expect(checkRequest({ ...fromPage, path: '/', host: 'evil.example:8789' }, policy).ok).toBe(false);
    expect(checkRequest({ ...fromPage, host: '127.0.0.1:9999' }, policy).ok).toBe(false);
    expect(checkRequest({ ...fromPage, host: undefined }, policy).ok).toBe(false);
  });

  it('refuses another origin, including another port on 127.0.0.1', () => {
    expect(checkRequest({ ...fromPage, origin: 'http://127.0.0.1:3000' }, policy).ok).toBe(false);
    expect(checkRequest({ ...fromPage, method: 'GET', origin: 'https://evil.example' }, policy).ok).toBe(
      false,
    );
    expect(checkRequest({ ...fromPage, secFetchSite: 'same-site' }, policy).ok).toBe(false);
  });

  it('refuses a POST without an Origin, but lets a same-origin GET (browsers omit Origin) through', () => {
    expect(checkRequest({ ...fromPage, origin: undefined }, policy).ok).toBe(false);
    expect(
      checkRequest({ ...fromPage, method: 'GET', path: '/api/sessions', origin: undefined }, policy),
    ).toEqual({
      ok: true,
    });
  });

  it('refuses a missing or wrong token on the proxy, and needs none for the page files', () => {
    expect(checkRequest({ ...fromPage, token: undefined }, policy).ok).toBe(false);
    expect(checkRequest({ ...fromPage, token: 'run-tokeX' }, policy).ok).toBe(false);
    expect(checkRequest({ ...fromPage, token: 'run-token-longer' }, policy).ok).toBe(false);
    expect(
      checkRequest(
        { ...fromPage, method: 'GET', path: '/app.js', origin: undefined, token: undefined },
        policy,
      ),
    ).toEqual({
      ok: true,
    });
  });
});
