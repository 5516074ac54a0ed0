import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SsoValidator } from '../../bot/dashboard/sso-validator';
import { SandboxClock } from '../../sandbox/common/clock';
import { FaultRegistry } from '../../sandbox/common/faults';
import { SANDBOX_TENANT_ID, startEntraSandbox, type EntraSandbox } from '../../sandbox/entra/entra.sandbox';
import { SANDBOX_TAB_USERS } from '../../sandbox/teams-host/teams-host';

const MEGAN = SANDBOX_TAB_USERS.megan!;
const FOREIGN_TENANT = 'bbbbbbbb-0000-4000-8000-00000000b0b0';

/**
 * The tab's SSO token check (Entra's documented validation) against the sandbox's Entra: its
 * keys, its issuer. Every refusal is a status and a sentence; nothing here trusts a token the
 * tenant's keys did not sign.
 */
describe('dashboard single sign-on', () => {
  let entra: EntraSandbox;
  let validator: SsoValidator;
  const faults = new FaultRegistry();
  beforeAll(async () => {
    entra = await startEntraSandbox({ clock: new SandboxClock(1), faults, tenants: [SANDBOX_TENANT_ID, FOREIGN_TENANT] });
    validator = new SsoValidator({ clientId: entra.clientId, allowedTenants: [SANDBOX_TENANT_ID], authority: entra.url });
  });
  afterAll(() => entra.close());
  const bearer = (t: string): string => `Bearer ${t}`;

  it('accepts a token of the tenant for this app and names the person by object id and UPN', async () => {
    const r = await validator.validate(bearer(entra.issueTabToken(MEGAN)));
    expect(r).toEqual({ ok: true, user: { id: MEGAN.oid, aadObjectId: MEGAN.oid, name: 'Megan Bowen', upn: MEGAN.upn, tenantId: SANDBOX_TENANT_ID } });
  });

  it.each([
    ['no header', undefined, 'no Bearer token'],
    ['Basic credentials', 'Basic bWxvcHM6c2VjcmV0', 'no Bearer token'],
    ['a bearer that is not a JWT', 'Bearer not-a-jwt', 'no Bearer token'],
  ])('refuses %s with 401', async (_what, header, words) => {
    const r = await validator.validate(header);
    expect(r).toMatchObject({ ok: false, status: 401 });
    expect(r.ok ? '' : r.message).toContain(words);
  });

  it('refuses an unsigned (alg none) and an HMAC-signed token', async () => {
    const claims = jwt.decode(entra.issueTabToken(MEGAN)) as Record<string, unknown>;
    const none = jwt.sign(claims, '', { algorithm: 'none' });
    const hmac = jwt.sign(claims, 'shared-secret-guess', { algorithm: 'HS256', keyid: 'x' });
    for (const t of [none, hmac]) expect(await validator.validate(bearer(t))).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses a token forged with another key under the real kid', async () => {
    const real = jwt.decode(entra.issueTabToken(MEGAN), { complete: true })!;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = jwt.sign(real.payload, privateKey, { algorithm: 'RS256', keyid: real.header.kid! });
    const r = await validator.validate(bearer(forged));
    expect(r).toMatchObject({ ok: false, status: 401 });
    expect(r.ok ? '' : r.cause).toContain('invalid signature');
  });

  it('refuses an unknown kid', async () => {
    const claims = jwt.decode(entra.issueTabToken(MEGAN)) as object;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const r = await validator.validate(bearer(jwt.sign(claims, privateKey, { algorithm: 'RS256', keyid: 'unknown-kid' })));
    expect(r).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses an expired token and one not valid yet, beyond the allowed skew', async () => {
    const expired = await validator.validate(bearer(entra.issueTabToken(MEGAN, { skewSec: -7200, lifetimeSec: 3600 })));
    expect(expired).toMatchObject({ ok: false, status: 401, cause: 'expired' });
    expect(expired.ok ? '' : expired.message).toContain('expired');
    expect(await validator.validate(bearer(entra.issueTabToken(MEGAN, { skewSec: 3600 })))).toMatchObject({ ok: false, status: 401, cause: 'nbf' });
    // Inside the five minutes of skew: accepted.
    expect(await validator.validate(bearer(entra.issueTabToken(MEGAN, { skewSec: 120 })))).toMatchObject({ ok: true });
  });

  it('refuses a token for another app (audience)', async () => {
    const r = await validator.validate(bearer(entra.issueTabToken(MEGAN, { audience: '11111111-2222-3333-4444-555555555555' })));
    expect(r).toMatchObject({ ok: false, status: 401 });
    expect(r.ok ? '' : r.cause).toContain('audience');
  });

  it('accepts the Application ID URI as audience only when it is configured', async () => {
    const uri = `api://bot.contoso.com/${entra.clientId}`;
    const token = bearer(entra.issueTabToken(MEGAN, { audience: uri }));
    expect(await validator.validate(token)).toMatchObject({ ok: false, status: 401 });
    const withUri = new SsoValidator({ clientId: entra.clientId, appIdUri: uri, allowedTenants: [SANDBOX_TENANT_ID], authority: entra.url });
    expect(await withUri.validate(token)).toMatchObject({ ok: true });
  });

  it('refuses a user of a tenant that is not allowed with 403, even with a valid signature', async () => {
    const r = await validator.validate(bearer(entra.issueTabToken(MEGAN, { tenantId: FOREIGN_TENANT })));
    expect(r).toMatchObject({ ok: false, status: 403 });
    expect(r.ok ? '' : r.message).toContain('organization is not allowed');
  });

  it('refuses a token whose issuer is not the tenant\'s (another authority signing for the same tenant)', async () => {
    const other = await startEntraSandbox({ clock: new SandboxClock(1), faults: new FaultRegistry() });
    try {
      // Signed by another Entra stand-in: its issuer and keys are not the configured authority's.
      expect(await validator.validate(bearer(other.issueTabToken(MEGAN)))).toMatchObject({ ok: false, status: 401 });
    } finally {
      await other.close();
    }
  });

  it('refuses a token without the access_as_user scope with 403', async () => {
    expect(await validator.validate(bearer(entra.issueTabToken(MEGAN, { scope: 'User.Read' })))).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 503 (not 401) when the tenant\'s keys cannot be read', async () => {
    const fresh = new SsoValidator({ clientId: entra.clientId, allowedTenants: [SANDBOX_TENANT_ID], authority: entra.url });
    faults.add({ service: 'entra', operation: 'keys', kind: 'status', status: 503, count: 1 });
    const r = await fresh.validate(bearer(entra.issueTabToken(MEGAN)));
    expect(r).toMatchObject({ ok: false, status: 503 });
  });
});
