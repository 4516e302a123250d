import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsentBindings } from '../../lambdas/sessions/consents';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';

let dynamo: LocalDynamo;
let clock = Date.UTC(2030, 0, 1);
const SESSION = 'urn:ietf:params:oauth:request_uri:abc';

beforeAll(async () => {
  dynamo = await startDynalite();
  await createAgentTable(dynamo.client, 'sessions');
});
afterAll(async () => {
  await dynamo.close();
});

const bindings = () =>
  createConsentBindings({ client: dynamo.client, tableName: 'sessions', now: () => clock });

describe('consent bindings (dynalite)', () => {
  it('verifies the user who started the consent with the state the browser brought back', async () => {
    await bindings().remember('alice', SESSION, 'secret-state');

    expect(await bindings().verify('alice', SESSION, 'secret-state')).toBe(true);
  });

  it('refuses a wrong state, another user, or another session', async () => {
    await bindings().remember('alice', SESSION, 'secret-state');

    expect(await bindings().verify('alice', SESSION, 'guess')).toBe(false);
    expect(await bindings().verify('mallory', SESSION, 'secret-state')).toBe(false);
    expect(await bindings().verify('alice', `${SESSION}-other`, 'secret-state')).toBe(false);
  });

  it('stores only a hash of the state', async () => {
    await bindings().remember('alice', SESSION, 'secret-state');

    const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: 'sessions' }));
    expect(JSON.stringify(Items)).not.toContain('secret-state');
  });

  it('refuses a binding past its lifetime, and one that was used', async () => {
    await bindings().remember('bob', SESSION, 'state-b');
    clock += 16 * 60_000;
    expect(await bindings().verify('bob', SESSION, 'state-b')).toBe(false);

    await bindings().remember('bob', SESSION, 'state-c');
    await bindings().forget('bob', SESSION);
    expect(await bindings().verify('bob', SESSION, 'state-c')).toBe(false);
  });
});
