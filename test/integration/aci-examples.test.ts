import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { AciClient } from '../../services/aci/aci.client';
import { closeServer, listenOnLoopback } from '../support/loopback-server';

/**
 * The client's mapping of the real answers: a tiny stub serves the bodies of
 * test/fixtures/protocols/aci/ verbatim and AciClient (through the real SDK deserializer) reads them.
 */
const dir = join(__dirname, '..', 'fixtures', 'protocols', 'aci');
const load = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
const body200 = (f: string): unknown => (load(f).responses as Record<string, { body: unknown }>)['200']!.body;
interface Entry { RequestMethod: string; RequestUri: string; StatusCode: number; ResponseBody: unknown }
const rec = load('sdk-js-recording-subset-containergroups_create_and_delete.json').Entries as Entry[];
const recordedFinalGet = rec.find((e) => e.RequestMethod === 'GET' && e.RequestUri.includes('/containerGroups/'))!.ResponseBody;
const recordedSucceededPoll = rec.find((e) => e.RequestUri.includes('/operations/') && (e.ResponseBody as { status: string }).status === 'Succeeded')!.ResponseBody;

describe('AciClient maps the real ARM example answers', () => {
  let server: Server;
  let url: string;
  const seen: string[] = [];
  const bodies: Record<string, unknown> = {
    recorded: recordedFinalGet,
    succeeded: body200('2021-10-01-ContainerGroupsGet_Succeeded.json'),
    failed: body200('2021-10-01-ContainerGroupsGet_Failed.json'),
    created: body200('2021-10-01-ContainerGroupsCreateOrUpdate.json'),
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      seen.push(`${req.method ?? ''} ${path} ${req.headers.authorization ?? ''}`);
      const json = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-ms-request-id': 'eastus:req-1', ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const name = /containerGroups\/([^/]+)/.exec(path)?.[1] ?? '';
      if (path.includes('/operations/')) return json(200, recordedSucceededPoll);
      if (req.method === 'PUT') {
        const put = rec[0]!;
        return json(201, put.ResponseBody, { 'azure-asyncoperation': `${url}/subscriptions/s/providers/Microsoft.ContainerInstance/locations/eastus/operations/op1?api-version=2018-06-01` });
      }
      if (path.endsWith('/logs')) return json(200, body200('2021-10-01-ContainerListLogs.json'));
      if (path.endsWith('/restart')) return json(204);
      if (req.method === 'DELETE') return json(200, body200('2022-09-01-ContainerGroupsDelete.json'));
      if (path.endsWith('/containerGroups')) return json(200, { value: [bodies.succeeded, bodies.failed] });
      if (name === 'mycontainergroupxxx') return json(200, recordedFinalGet);
      return name in bodies ? json(200, bodies[name]) : json(404, { error: { code: 'ResourceNotFound', message: 'not found' } });
    });
    url = await listenOnLoopback(server);
  });
  afterAll(async () => closeServer(server));

  const credential: TokenCredential = { getToken: async () => ({ token: 'stub-token', expiresOnTimestamp: Date.now() + 60_000 }) };
  const client = (): AciClient => new AciClient({ credential, subscriptionId: 's', resourceGroup: 'demo', location: 'eastus', endpoint: url, pollIntervalInMs: 1, retry: { maxRetries: 0 } });

  it('maps the recorded create: polls the Azure-AsyncOperation URL, then the final GET (running, instance view, events)', async () => {
    const state = await (await client().beginCreateOrUpdate({ name: 'mycontainergroupxxx', image: 'nginx', cpu: 1, memoryInGB: 1.5, port: 80 })).pollUntilDone();
    expect(seen.some((s) => s.startsWith('GET /subscriptions/s/providers/Microsoft.ContainerInstance/locations/eastus/operations/op1 Bearer stub-token'))).toBe(true);
    expect(state).toMatchObject({ name: 'mycontainerGroupxxx', provisioningState: 'Succeeded', instanceState: 'Running', status: 'Running', location: 'eastus', restartPolicy: 'OnFailure', ip: undefined, scoringBaseUrl: undefined });
    const c = state.containers[0]!;
    expect(c).toMatchObject({ name: 'my-containerinstancexx', image: 'nginx', ports: [80], state: 'Running', restartCount: 0 });
    expect(c.startTime?.toISOString()).toBe('2022-07-11T08:34:12.000Z');
    expect(c.events.map((e) => e.name)).toEqual(['Pulling', 'Pulled', 'Created', 'Started']);
    expect(c.events[1]).toMatchObject({ type: 'Normal', count: 1, message: 'Successfully pulled image "nginx" in 10.807709834s' });
  });

  it('maps Get_Succeeded: ip and port give the scoring URL even without an instance view', async () => {
    const state = await client().get('succeeded');
    expect(state).toMatchObject({ provisioningState: 'Succeeded', ip: '10.0.0.1', ports: [80], scoringBaseUrl: 'http://10.0.0.1', instanceState: undefined, status: 'Provisioning' });
  });

  it('maps CreateOrUpdate 200: the fqdn wins over the ip for the scoring URL', async () => {
    const state = await client().get('created');
    expect(state.fqdn).toBe('dnsnamelabel1.azure-container.io');
    expect(state.scoringBaseUrl).toBe('http://dnsnamelabel1.azure-container.io');
    expect(state.location).toBe('WestUs');
  });

  it('maps Get_Failed: Failed status, the waiting container and the group FailedMount event', async () => {
    const state = await client().get('failed');
    expect(state.status).toBe('Failed');
    expect(state.scoringBaseUrl).toBeUndefined();
    expect(state.containers[0]).toMatchObject({ state: 'Waiting', restartCount: 0 });
    expect(state.containers[0]!.events.map((e) => e.name)).toEqual(['Pulling', 'Pulled']);
    expect(state.events).toEqual([
      { name: 'FailedMount', message: 'Output: mount error(2): Permission denied', type: 'Normal', count: 1, firstTimestamp: new Date('2017-10-08T00:19:10Z'), lastTimestamp: new Date('2017-10-08T00:19:10Z') },
    ]);
  });

  it('maps ListLogs, Restart (204), Delete (200 with body), a list and a 404', async () => {
    const c = client();
    await expect(c.getLogs('succeeded', { containerName: 'demo1', tail: 10 })).resolves.toBe('log content');
    await expect(c.restart('succeeded')).resolves.toBeUndefined();
    await expect(c.delete('succeeded')).resolves.toBeUndefined();
    const names: string[] = [];
    for await (const g of c.list()) names.push(`${g.name}:${g.provisioningState}`);
    expect(names).toEqual(['demo1:Succeeded', 'demo1:Failed']);
    await expect(c.get('missing')).rejects.toMatchObject({ service: 'aci', status: 404, code: 'ResourceNotFound', requestId: 'eastus:req-1' });
  });
});
