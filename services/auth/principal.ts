/**
 * The one identity rule. Every comparison of people (roles, the requester rule, N-of-M counting,
 * the audit, who may cancel) goes through `identityKeys`/`samePrincipal`, so no rule can compare
 * ids more loosely or more strictly than another.
 *
 * A person reaches the bot under several names:
 * - a Teams/Bot Framework user id, `29:1AbC...` (the channel's own id for the user);
 * - an Entra object id (GUID), as `from.aadObjectId`, or in the Skype form `8:orgid:<guid>`
 *   that some payloads and older clients use as `from.id`;
 * - a UPN (`megan@contoso.com`), where the roster or the config names one.
 * Case and surrounding white space never make two people (GUIDs and UPNs are case-insensitive in
 * Entra; a Teams id differing only by case is treated as the same person, the strict choice for a
 * rule that refuses self-approval).
 */

/** Anything that names a person: the principal of a turn, a stored requester, a decider. */
export interface IdentityLike {
  id?: string | undefined;
  aadObjectId?: string | undefined;
  upn?: string | undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ORGID = /^8:orgid:/;

/**
 * The canonical key of one identifier, typed by kind so that kinds never collide:
 * `oid:<guid>`, `upn:<name@domain>`, `teams:<id>`. Undefined for an empty value.
 */
export function identifierKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // NFKC folds full-width and compatibility forms, so 'ｍｅｇａｎ' is not a second Megan.
  const v = raw.normalize('NFKC').trim().toLowerCase();
  if (v === '') return undefined;
  const unprefixed = v.replace(ORGID, '');
  if (GUID.test(unprefixed)) return `oid:${unprefixed}`;
  if (ORGID.test(v)) return `teams:${v}`;
  if (v.includes('@') && !v.includes(':')) return `upn:${v}`;
  return `teams:${v}`;
}

/** Every key under which this person is known. */
export function identityKeys(p: IdentityLike): Set<string> {
  const keys = new Set<string>();
  for (const raw of [p.id, p.aadObjectId, p.upn]) {
    const k = identifierKey(raw);
    if (k) keys.add(k);
  }
  return keys;
}

/** The same person: any identifier of one equals, after normalization, an identifier of the other. */
export function samePrincipal(a: IdentityLike, b: IdentityLike): boolean {
  const ka = identityKeys(a);
  for (const k of identityKeys(b)) if (ka.has(k)) return true;
  return false;
}

/** Whether a configured entry (a Teams id, object id, `8:orgid:` id, UPN, or "*") names this person. */
export function entryMatches(entry: string, p: IdentityLike): boolean {
  if (entry.trim() === '*') return true;
  const k = identifierKey(entry);
  return k !== undefined && identityKeys(p).has(k);
}

/** One stable key per person for counting (N-of-M) and audit grouping: the object id when known. */
export function principalKey(p: IdentityLike): string {
  const keys = [...identityKeys(p)];
  return keys.find((k) => k.startsWith('oid:')) ?? keys.find((k) => k.startsWith('teams:')) ?? keys[0] ?? 'unknown';
}
