import type { AciClient } from '../../services/aci/aci.client';
import type { ContainerGroupState } from '../../services/aci/aci.types';
import type { EnvironmentConfig } from '../../services/config/environment.schema';
import { ServiceError } from '../../services/http/errors';
import type { RunRecord } from '../../services/workflow/run.types';
import { EnvironmentHealth, HEALTH_TTL_MS } from '../../bot/dashboard/environment-health';

const ENV = { name: 'staging', containerGroup: 'fashion-cnn-staging', resourceGroup: 'rg-staging' } as EnvironmentConfig;
const LIVE = { id: 'r-7', registered: { version: '3' }, smoke: { ok: true, status: 200, latencyMs: 40, detail: 'HTTP 200 in 40 ms' } } as unknown as RunRecord;
const group = (o: Partial<ContainerGroupState>): ContainerGroupState => ({ status: 'Running', provisioningState: 'Succeeded', instanceState: 'Running', tags: { 'mlops-version': '3' }, ...o }) as ContainerGroupState;

/** An ACI client whose get answers from a script, recording the resource group and name asked for. */
function fakeAci(answer: () => Promise<ContainerGroupState>): { aci: AciClient; asked: string[] } {
  const asked: string[] = [];
  const aci = {
    inResourceGroup: (rg: string) => ({
      get: (name: string) => {
        asked.push(`${rg}/${name}`);
        return answer();
      },
    }),
  } as unknown as AciClient;
  return { aci, asked };
}

describe('environment health (models page)', () => {
  it('calls a running group of the live version with a passed smoke test healthy, reading the environment\'s own group', async () => {
    const { aci, asked } = fakeAci(async () => group({}));
    const h = await new EnvironmentHealth({ aci, now: () => 0 }).of('fashion-cnn', ENV, LIVE);
    expect(h).toEqual({ state: 'healthy', summary: 'Container group fashion-cnn-staging is running version 3. The smoke test of r-7 passed (HTTP 200 in 40 ms).', checkedAt: new Date(0).toISOString() });
    expect(asked).toEqual(['rg-staging/fashion-cnn-staging']);
  });

  it.each([
    ['a crashing group', async () => group({ status: 'Crashing', instanceState: 'Running' }), 'unhealthy', 'is crashing (Running)'],
    ['a failed group', async () => group({ status: 'Failed', instanceState: undefined }), 'unhealthy', 'is failed.'],
    ['a group that is gone', () => Promise.reject(new ServiceError({ service: 'aci', operation: 'containerGroups.get', message: 'not found', status: 404 })), 'unhealthy', 'does not exist any more'],
    ['a group being provisioned', async () => group({ status: 'Provisioning', provisioningState: 'Creating' }), 'unknown', 'is being provisioned (Creating)'],
    ['a group running another version', async () => group({ tags: { 'mlops-version': '4' } }), 'unknown', 'with version 4, not the live version 3'],
    ['ARM failing', () => Promise.reject(new ServiceError({ service: 'aci', operation: 'containerGroups.get', message: 'busy', status: 503, code: 'ServerBusy' })), 'unknown', 'ACI answered 503 (ServerBusy)'],
    ['a request that never completes', () => Promise.reject(new Error('aborted')), 'unknown', 'the request did not complete'],
  ] as const)('tells %s apart', async (_what, answer, state, words) => {
    const h = await new EnvironmentHealth({ aci: fakeAci(answer).aci, now: () => 0 }).of('fashion-cnn', ENV, LIVE);
    expect(h.state).toBe(state);
    expect(h.summary).toContain(words);
    expect(h.summary).toContain('The smoke test of r-7 passed');
  });

  it('says nothing is deployed without a live run, and unknown without an ACI client, without calling anything', async () => {
    expect(await new EnvironmentHealth({ aci: undefined, now: () => 0 }).of('m', ENV, undefined)).toEqual({ state: 'not-deployed', summary: 'Nothing has been deployed to staging yet.' });
    const h = await new EnvironmentHealth({ aci: undefined, now: () => 0 }).of('m', ENV, { ...LIVE, smoke: undefined });
    expect(h).toEqual({ state: 'unknown', summary: 'The container group cannot be read here (no Azure settings). Run r-7 recorded no smoke test.' });
  });

  it('reads a group once per TTL for every dashboard, and again for a new live run', async () => {
    let now = 0;
    const { aci, asked } = fakeAci(async () => group({}));
    const health = new EnvironmentHealth({ aci, now: () => now });
    await health.of('m', ENV, LIVE);
    now = HEALTH_TTL_MS - 1;
    await health.of('m', ENV, LIVE);
    expect(asked).toHaveLength(1);
    await health.of('m', ENV, { ...LIVE, id: 'r-8' });
    expect(asked).toHaveLength(2);
    now = HEALTH_TTL_MS + 1;
    await health.of('m', ENV, LIVE);
    expect(asked).toHaveLength(3);
  });
});
