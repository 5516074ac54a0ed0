import { toSdkContainerGroup, toServiceError, toContainerGroupState } from '../../services/aci/aci.mapper';
import { ServiceError, TimeoutError } from '../../services/http/errors';
import { predict, parseRows } from '../../sandbox/scoring/scoring-model';

describe('ACI mapping', () => {
  it('sends secrets as secureValue and the readiness probe on the scoring port', () => {
    const g = toSdkContainerGroup(
      { name: 'm', image: 'acr.io/m:1', cpu: 1, memoryInGB: 2, port: 5001, environment: { A: '1' }, secureEnvironment: { KEY: 's3cr3t!!' }, readinessProbe: { path: '/', periodSeconds: 5 }, dnsNameLabel: 'm' },
      'eastus',
    );
    expect(g.location).toBe('eastus');
    expect(g.containers[0]?.environmentVariables).toEqual([{ name: 'A', value: '1' }, { name: 'KEY', secureValue: 's3cr3t!!' }]);
    expect(g.containers[0]?.readinessProbe).toEqual({ httpGet: { path: '/', port: 5001, scheme: 'http' }, periodSeconds: 5 });
    expect(g.ipAddress).toEqual({ type: 'Public', ports: [{ port: 5001, protocol: 'TCP' }], dnsNameLabel: 'm' });
    expect(g.restartPolicy).toBe('Always');
  });

  it('turns a failed long-running operation into a ServiceError with the ARM code, without secrets', () => {
    const err = toServiceError(new Error('The long-running operation has failed. ResourceDeploymentFailure. key s3cr3t!! leaked'), 'containerGroups.createOrUpdate', ['s3cr3t!!']);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.code).toBe('ResourceDeploymentFailure');
    expect(err.message).toBe('key [redacted] leaked');
  });

  it('reports an operation that ended Canceled (a terminal status of the ARM RPC) as retryable, any other plain error as final', () => {
    // @azure/core-lro's message for an operation whose status is Canceled (poller.ts, cancelErrMsg).
    expect(toServiceError(new Error('Operation was canceled'), 'containerGroups.createOrUpdate')).toMatchObject({ service: 'aci', code: 'OperationCanceled', retryable: true });
    expect(toServiceError(new Error('Operation was cancelled by someone'), 'containerGroups.createOrUpdate')).toMatchObject({ retryable: false });
  });

  it('reports a timeout as a retryable Timeout', () => {
    expect(toServiceError(new TimeoutError(100), 'containerGroups.get')).toMatchObject({ code: 'Timeout', retryable: true, service: 'aci' });
  });

  it('reports a token endpoint still throttled after the credential\'s retries as a retryable identity failure, and a refusal as final', () => {
    const failure = (status: number): Error => Object.assign(new Error('ManagedIdentityCredential: Authentication failed.'), { name: 'CredentialUnavailableError', cause: Object.assign(new Error('server'), { name: 'ServerError', status }) });
    expect(toServiceError(failure(429), 'containerGroups.createOrUpdate')).toMatchObject({ service: 'identity', code: 'CredentialUnavailableError', retryable: true });
    expect(toServiceError(failure(503), 'containerGroups.createOrUpdate')).toMatchObject({ service: 'identity', retryable: true });
    expect(toServiceError(failure(401), 'containerGroups.createOrUpdate')).toMatchObject({ service: 'identity', retryable: false });
    expect(toServiceError(Object.assign(new Error('no identity'), { name: 'CredentialUnavailableError' }), 'containerGroups.get')).toMatchObject({ service: 'identity', retryable: false });
  });

  it('calls a group whose container exited with an error Crashing, and a clean exit under Never Stopped', () => {
    const base = { provisioningState: 'Succeeded', osType: 'Linux' as const, ipAddress: { type: 'Public', ports: [{ port: 80 }], ip: '1.2.3.4' } };
    const crashed = toContainerGroupState({ ...base, containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: 1, memoryInGB: 1 } }, instanceView: { restartCount: 2, currentState: { state: 'Terminated', exitCode: 1 } } }] });
    expect(crashed.status).toBe('Crashing');
    const done = toContainerGroupState({ ...base, restartPolicy: 'Never', containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: 1, memoryInGB: 1 } }, instanceView: { restartCount: 0, currentState: { state: 'Terminated', exitCode: 0 } } }] });
    expect(done.status).toBe('Stopped');
  });
});

describe('sandbox scoring model', () => {
  it('gives softmax probabilities that depend on the input and the seed', () => {
    const p = predict([1, 2, 3], 0.5);
    expect(p).toHaveLength(10);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(predict([3, 2, 1], 0.5)).not.toEqual(p);
    expect(predict([1, 2, 3], 0.6)).not.toEqual(p);
  });

  it('enforces score.py\'s contract: {"inputs": [[784 values in 0..1]]} and nothing else', () => {
    const row = Array.from({ length: 784 }, () => 0.5);
    expect(parseRows({ inputs: [row] })).toEqual([row]);
    expect(parseRows({ inputs: [[1, 2]] })).toMatch(/784 numbers/);
    expect(parseRows({ data: [row] })).toMatch(/"inputs"/);
    expect(parseRows({ dataframe_split: { data: [row] } })).toMatch(/"inputs"/);
    expect(parseRows({ inputs: [[...row.slice(1), 'a']] })).toMatch(/from 0.0 to 1.0/);
    expect(parseRows({ inputs: [[...row.slice(1), 2]] })).toMatch(/from 0.0 to 1.0/);
    expect(parseRows({ inputs: [] })).toMatch(/1 to 64 rows/);
  });
});
