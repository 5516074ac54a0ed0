import { AuthenticationConstants, ClaimsIdentity } from 'botframework-connector';
import { BoundedCache, ReusedClientsAuthentication } from '../../bot/http/reused-clients';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const claims = (audience: string): ClaimsIdentity => new ClaimsIdentity([{ type: AuthenticationConstants.AudienceClaim, value: audience }], true);
const SERVICE = 'https://smba.trafficmanager.net/amer/';
const SCOPE = AuthenticationConstants.ToChannelFromBotOAuthScope;

/** One ConnectorClient and one UserTokenClient per key for every turn, not one per turn (bot/http/reused-clients.ts, issue 13). */
describe('clients reused across turns', () => {
  const auth = new ReusedClientsAuthentication({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'app-password-for-tests', MicrosoftAppType: 'MultiTenant' });

  it('gives the same ConnectorClient for the same app id, service URL and audience, from any factory', async () => {
    const a = await auth.createConnectorFactory(claims(APP_ID)).create(SERVICE, SCOPE);
    const b = await auth.createConnectorFactory(claims(APP_ID)).create(SERVICE, SCOPE);
    expect(b).toBe(a);
    expect((a as unknown as { baseUri?: string }).baseUri).toContain('smba.trafficmanager.net/amer');
  });

  it('builds another one for another service URL or audience', async () => {
    const a = await auth.createConnectorFactory(claims(APP_ID)).create(SERVICE, SCOPE);
    const emea = await auth.createConnectorFactory(claims(APP_ID)).create('https://smba.trafficmanager.net/emea/', SCOPE);
    const other = await auth.createConnectorFactory(claims(APP_ID)).create(SERVICE, 'api://other-audience');
    expect(emea).not.toBe(a);
    expect(other).not.toBe(a);
    expect(other).not.toBe(emea);
  });

  it('still refuses, every time, an app id that is not the bot\'s (the check of botbuilder\'s own factory is not skipped by the cache)', async () => {
    await expect(auth.createConnectorFactory(claims('someone-else')).create(SERVICE, SCOPE)).rejects.toThrow('Invalid appId.');
    await expect(auth.createConnectorFactory(claims('someone-else')).create(SERVICE, SCOPE)).rejects.toThrow('Invalid appId.');
    await expect(auth.createUserTokenClient(claims('someone-else'))).rejects.toThrow('Invalid appId.');
    await expect(auth.createUserTokenClient(claims('someone-else'))).rejects.toThrow('Invalid appId.');
  });

  it('gives the same UserTokenClient for the same app id', async () => {
    const a = await auth.createUserTokenClient(claims(APP_ID));
    expect(await auth.createUserTokenClient(claims(APP_ID))).toBe(a);
  });
});

describe('BoundedCache', () => {
  it('keeps at most its bound, evicting the least recently used key', async () => {
    const cache = new BoundedCache<object>(2);
    const build = jest.fn(async () => ({}));
    const a = await cache.get('a', build);
    await cache.get('b', build);
    expect(await cache.get('a', build)).toBe(a); // a is now the most recent
    await cache.get('c', build); // evicts b
    expect(cache.size).toBe(2);
    expect(await cache.get('a', build)).toBe(a);
    expect(build).toHaveBeenCalledTimes(3);
    await cache.get('b', build);
    expect(build).toHaveBeenCalledTimes(4);
  });

  it('forgets a build that failed, so the next caller builds again', async () => {
    const cache = new BoundedCache<object>(4);
    await expect(cache.get('k', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(cache.size).toBe(0);
    const ok = await cache.get('k', async () => ({ ok: true }));
    expect(ok).toEqual({ ok: true });
  });
});
