import { entryMatches, identifierKey, principalKey, samePrincipal } from '../../services/auth/principal';
import { RolePolicy } from '../../services/auth/roles';
import { approvalCount, refusalFor } from '../../services/workflow/approval-policy';
import { newTrainRun } from '../../services/workflow/run-factory';
import type { Decision, PersonRef, RunRecord } from '../../services/workflow/run.types';
import { sandboxConfig } from '../support/context';

const OID = '6e5f3d1c-2b4a-4c8e-9f10-aa11bb22cc33';
const OTHER_OID = '0b0b0b0b-1111-4222-8333-944445555666';
const alex: PersonRef = { id: '29:1AlexTeamsId', name: 'Alex', aadObjectId: OID };
const megan: PersonRef = { id: '29:1MeganTeamsId', name: 'Megan', aadObjectId: OTHER_OID };

/** Alex again, as each form a client, a payload or a hostile caller may present him. */
const alexVariants: Array<[string, PersonRef & { upn?: string }]> = [
  ['Teams id in upper case', { id: '29:1ALEXTEAMSID', name: 'Alex' }],
  ['Teams id in lower case', { id: '29:1alexteamsid', name: 'Alex' }],
  ['Teams id with white space around it', { id: '  29:1AlexTeamsId\t', name: 'Alex' }],
  ['a second Teams id with the same object id', { id: '29:1SecondIdentity', name: 'Alex', aadObjectId: OID }],
  ['the object id in upper case', { id: '29:1SecondIdentity', name: 'Alex', aadObjectId: OID.toUpperCase() }],
  ['the object id as the 8:orgid: form of from.id', { id: `8:orgid:${OID}`, name: 'Alex' }],
  ['the 8:orgid: form in upper case with spaces', { id: ` 8:ORGID:${OID.toUpperCase()} `, name: 'Alex' }],
  ['the object id with full-width digits', { id: '29:x', name: 'Alex', aadObjectId: OID.replace(/6/g, '\uFF16') }],
];

const at = '2026-11-26T10:00:00.000Z';
const now = Date.parse(at);

function runWaitingForApproval(requester: PersonRef, decisions: Decision[] = [], required = 2): RunRecord {
  const model = sandboxConfig().mlops.models['fashion-cnn']!;
  const { run } = newTrainRun({ model: 'fashion-cnn', params: {}, requester, conversationId: 'c' }, model, now);
  return {
    ...run,
    id: 'r-1',
    status: 'waiting_approval',
    approval: { required, expiresAt: new Date(now + 3_600_000).toISOString(), decisions, state: 'pending' },
    version: 1,
  };
}

describe('one identity rule for every check', () => {
  describe.each(alexVariants)('Alex presented as %s', (_label, variant) => {
    it('is the same person as Alex, both ways', () => {
      expect(samePrincipal(alex, variant)).toBe(true);
      expect(samePrincipal(variant, alex)).toBe(true);
      expect(samePrincipal(megan, variant)).toBe(false);
    });

    it('holds the roles configured for Alex (by Teams id or by object id)', () => {
      const byTeamsId = new RolePolicy({ roles: { trainers: [], approvers: [alex.id], admins: [] }, models: {} });
      const byOid = new RolePolicy({ roles: { trainers: [], approvers: [OID.toUpperCase()], admins: [] }, models: {} });
      const expected = variant.aadObjectId !== undefined || variant.id.toLowerCase().includes('8:orgid') ? [byOid] : [byTeamsId];
      for (const policy of expected) expect(policy.has(variant, 'approver')).toBe(true);
      expect(byTeamsId.has(megan, 'approver')).toBe(false);
    });

    it('cannot approve the run Alex requested', () => {
      const refusal = refusalFor(runWaitingForApproval(alex), variant, 'approved', true, now);
      expect(refusal?.kind).toBe('self-approval');
    });

    it('cannot decide twice: a decision by Alex counts as theirs', () => {
      const run = runWaitingForApproval(megan, [{ by: alex, decision: 'approved', comment: '', at }]);
      expect(refusalFor(run, variant, 'approved', true, now)?.kind).toBe('already-decided');
      expect(refusalFor(run, variant, 'rejected', true, now)?.kind).toBe('already-decided');
    });

    it('counts once towards N-of-M, however many ids Alex used', () => {
      const decisions: Decision[] = [
        { by: alex, decision: 'approved', comment: '', at },
        { by: variant, decision: 'approved', comment: '', at },
      ];
      expect(approvalCount(decisions)).toBe(1);
      expect(approvalCount([...decisions, { by: megan, decision: 'approved', comment: '', at }])).toBe(2);
      // A rejection is no approval, whoever gave it.
      expect(approvalCount([{ by: megan, decision: 'rejected', comment: '', at }, ...decisions])).toBe(1);
    });

    it('is written to the audit under one key whenever the variant carries the object id', () => {
      const hasOid = variant.aadObjectId !== undefined || /8:orgid:/i.test(variant.id);
      if (hasOid) expect(principalKey(variant)).toBe(`oid:${OID}`);
      else expect(principalKey(variant)).toBe(principalKey({ id: alex.id }));
    });
  });

  it('matches configured entries written as UPN, object id, 8:orgid: id or Teams id, in any case', () => {
    const p = { id: '29:1AlexTeamsId', aadObjectId: OID, upn: 'alex@contoso.com' };
    for (const entry of ['Alex@Contoso.com ', OID.toUpperCase(), `8:orgid:${OID}`, '29:1alexteamsid', '*']) expect(entryMatches(entry, p)).toBe(true);
    for (const entry of ['megan@contoso.com', OTHER_OID, '29:1Alex', '', '  ']) expect(entryMatches(entry, p)).toBe(false);
  });

  it('never matches two people through empty or missing identifiers', () => {
    expect(samePrincipal({ id: '29:a', aadObjectId: '' }, { id: '29:b', aadObjectId: '' })).toBe(false);
    expect(samePrincipal({ id: '' }, { id: '' })).toBe(false);
    expect(identifierKey('   ')).toBeUndefined();
  });

  it('keeps kinds apart: a UPN never equals a Teams id spelled the same', () => {
    expect(identifierKey('alex@contoso.com')).toBe('upn:alex@contoso.com');
    expect(identifierKey('29:alex@contoso.com')).toBe('teams:29:alex@contoso.com');
  });
});
