import { FaultRegistry } from '../../sandbox/common/faults';

/** The sandbox's fault rules: which calls a rule hits. */
describe('FaultRegistry', () => {
  const rule = { service: 'arm', operation: 'containerGroups.createOrUpdate', kind: 'status', status: 503 } as const;

  it('hits the next N matching calls, and no other operation or service', () => {
    const faults = new FaultRegistry();
    faults.add({ ...rule, count: 2 });
    expect(faults.take('arm', 'containerGroups.get')).toEqual([]);
    expect(faults.take('databricks', 'containerGroups.createOrUpdate')).toEqual([]);
    expect(faults.take('arm', 'containerGroups.createOrUpdate')).toHaveLength(1);
    expect(faults.take('arm', 'containerGroups.createOrUpdate')).toHaveLength(1);
    expect(faults.take('arm', 'containerGroups.createOrUpdate')).toEqual([]);
    expect(faults.list()).toEqual([]);
  });

  it('lets the first N matching calls through with `after`, then hits the following ones', () => {
    const faults = new FaultRegistry();
    faults.add({ ...rule, after: 1, count: 2 });
    expect(faults.take('arm', 'containerGroups.get')).toEqual([]);
    expect(faults.take('arm', 'containerGroups.createOrUpdate')).toEqual([]);
    expect(faults.take('arm', 'containerGroups.createOrUpdate')).toEqual([expect.objectContaining({ status: 503 })]);
    expect(faults.take('arm', 'containerGroups.createOrUpdate')).toHaveLength(1);
    expect(faults.take('arm', 'containerGroups.createOrUpdate')).toEqual([]);
  });

  it('keeps a rule with `after` and no count until it is cleared', () => {
    const faults = new FaultRegistry();
    faults.add({ ...rule, after: 2 });
    for (let i = 0; i < 2; i++) expect(faults.take('arm', 'containerGroups.createOrUpdate')).toEqual([]);
    for (let i = 0; i < 5; i++) expect(faults.take('arm', 'containerGroups.createOrUpdate')).toHaveLength(1);
    faults.clear();
    expect(faults.take('arm', 'containerGroups.createOrUpdate')).toEqual([]);
  });

  it('refuses an `after` that is not a positive whole number, as SANDBOX_FAULTS', () => {
    expect(() => FaultRegistry.fromEnv(JSON.stringify([{ ...rule, after: 0 }]))).toThrow('SANDBOX_FAULTS is not a valid list of fault rules');
    expect(() => FaultRegistry.fromEnv(JSON.stringify([{ ...rule, after: 1.5 }]))).toThrow('SANDBOX_FAULTS is not a valid list of fault rules');
    expect(FaultRegistry.fromEnv(JSON.stringify([{ ...rule, after: 3 }])).list()).toEqual([expect.objectContaining({ after: 3 })]);
  });
});
