import { upgradeRunBody } from '../../services/store/run-upgrade';

describe('upgrading a stored run body of an older version', () => {
  it('moves a relay run\'s pipeline run to `relay`, and leaves out records with nothing in them', () => {
    const up = upgradeRunBody({ id: 'r-9', kind: 'relay', ext: { devopsRunId: 4, relayedAt: '2026-11-29T10:00:00Z' } });
    expect(up).toEqual({ id: 'r-9', kind: 'relay', relay: { devopsRunId: 4, relayedAt: '2026-11-29T10:00:00Z' } });
  });

  it('reads a body with an empty or missing bag as a run with no stage records, and is a no-op on an upgraded body', () => {
    expect(upgradeRunBody({ id: 'r-1', kind: 'train', ext: {} })).toEqual({ id: 'r-1', kind: 'train' });
    expect(upgradeRunBody({ id: 'r-1', kind: 'train', ext: null })).toEqual({ id: 'r-1', kind: 'train' });
    const current = { id: 'r-2', kind: 'train', ci: { devopsRunId: 3 }, registered: { version: '2' } };
    expect(upgradeRunBody(current)).toBe(current);
    expect(upgradeRunBody(upgradeRunBody({ id: 'r-3', kind: 'deploy', ext: { modelVersion: '5', productionVersion: '4' } }))).toEqual({ id: 'r-3', kind: 'deploy', registered: { version: '5', liveVersion: '4' } });
  });
});
