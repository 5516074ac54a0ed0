import { entryMatches, identifierKey, principalKey } from '../../services/auth/principal';

/**
 * Edge rules of the identity keys, each pinned by a survivor of the first Stryker run over
 * services/auth (docs/testing.md): every case fails when its rule is broken.
 */
const GUID = '00000000-0000-0000-0000-000000000001';

describe('identity keys at the edges', () => {
  it('takes an object id only when the whole value is one', () => {
    expect(identifierKey(`x${GUID}`)).toBe(`teams:x${GUID}`);
    expect(identifierKey(`${GUID}x`)).toBe(`teams:${GUID}x`);
    expect(identifierKey(`8:orgid:${GUID}`)).toBe(`oid:${GUID}`);
  });

  it('strips 8:orgid: only at the start: a crafted id cannot become someone else\'s object id', () => {
    // Without the anchor, removing "8:orgid:" from the middle of this value leaves GUID.
    const crafted = `${GUID.slice(0, -1)}8:orgid:${GUID.slice(-1)}`;
    expect(identifierKey(crafted)).toBe(`teams:${crafted}`);
  });

  it('keys an 8:orgid: id that is not an object id as a Teams id, and a name without @ too', () => {
    expect(identifierKey('8:orgid:not-a-guid')).toBe('teams:8:orgid:not-a-guid');
    expect(identifierKey('megan')).toBe('teams:megan');
    expect(identifierKey('megan@contoso.com')).toBe('upn:megan@contoso.com');
  });

  it('reads "*" with spaces around it as everyone', () => {
    expect(entryMatches(' * ', { id: '29:anyone' })).toBe(true);
  });

  it('keys a person by the Teams id before a UPN when the object id is unknown, and "unknown" without any', () => {
    expect(principalKey({ id: 'alex@contoso.com', upn: '29:alex' })).toBe('teams:29:alex');
    expect(principalKey({})).toBe('unknown');
  });
});
