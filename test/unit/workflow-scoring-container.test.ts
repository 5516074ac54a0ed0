import { imageRegistry, scoringContainerSpec, type ScoringRoute } from '../../services/workflow/scoring-container';
import { newTrainRun } from '../../services/workflow/run-factory';
import type { RunRecord } from '../../services/workflow/run.types';
import type { EnvironmentConfig, ModelConfig } from '../../services/config/mlops-config.schema';
import { sandboxConfig } from '../support/context';
import { PRODUCTION_ONLY } from '../support/environments';

// One environment (PRODUCTION_ONLY): the spec of a run deploying to production, whatever the shipped list.
const model = sandboxConfig({}, PRODUCTION_ONLY).mlops.models['fashion-cnn']!;
const now = Date.parse('2026-11-26T10:00:00Z');
const run: RunRecord = { ...newTrainRun({ model: 'fashion-cnn', params: {}, requester: { id: 'u', name: 'U' }, conversationId: 'c' }, model, now).run, id: 'run-1', version: 1 };
const route: ScoringRoute = { identityId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scoring', identityClientId: 'client-1', databricksHost: 'https://adb-1.azuredatabricks.net', mlflowTrackingUri: 'http://mlflow.local:5000' };
const image = 'myacr.azurecr.io/fashion-cnn:run-1';
const env0 = model.environments[0]!;
const withRegistry = (registry: ModelConfig['registry']): ModelConfig => ({ ...model, registry });
/** The model's (first) environment, with or without a DNS label. */
const envWith = (dnsLabel?: string): EnvironmentConfig => {
  const { dnsLabel: _d, ...rest } = env0;
  return dnsLabel ? { ...rest, dnsLabel } : rest;
};

describe('the registry of an image reference', () => {
  it('is the first segment when it names a host (a dot, a port or localhost), else Docker Hub (none)', () => {
    expect(imageRegistry('myacr.azurecr.io/repo/app:1')).toBe('myacr.azurecr.io');
    expect(imageRegistry('127.0.0.1:5000/app:1')).toBe('127.0.0.1:5000');
    expect(imageRegistry('registry:5000/app')).toBe('registry:5000');
    expect(imageRegistry('localhost/app:1')).toBe('localhost');
    expect(imageRegistry('library/python:3.11')).toBeUndefined();
    expect(imageRegistry('python:3.11')).toBeUndefined();
    expect(imageRegistry('my.image:1')).toBeUndefined();
  });
});

describe('the scoring container group', () => {
  it('pins the approved version, points at the Unity Catalog registry, and pulls with the identity', () => {
    const spec = scoringContainerSpec(run, withRegistry('unity-catalog'), envWith('fashion-cnn-prod'), image, '7', route);
    expect(spec).toEqual({
      name: env0.containerGroup,
      image,
      cpu: env0.cpu,
      memoryInGB: env0.memoryInGB,
      port: env0.port,
      dnsNameLabel: 'fashion-cnn-prod',
      environment: {
        MODEL_NAME: model.registeredModel,
        MODEL_VERSION: '7',
        MLFLOW_REGISTRY_URI: 'databricks-uc',
        PORT: String(env0.port),
        DATABRICKS_HOST: route.databricksHost,
        AZURE_CLIENT_ID: 'client-1',
      },
      userAssignedIdentities: [route.identityId],
      registry: { server: 'myacr.azurecr.io', identity: route.identityId },
      readinessProbe: { path: '/', port: env0.port, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 30 },
      restartPolicy: 'Always',
      tags: { 'mlops-run': 'run-1', 'mlops-model': 'fashion-cnn', 'mlops-version': '7', 'mlops-environment': 'production' },
    });
  });

  it('uses the workspace registry, or the MLflow server without a Databricks host', () => {
    expect(scoringContainerSpec(run, withRegistry('workspace'), envWith(), image, '3', route).environment).toMatchObject({ MLFLOW_REGISTRY_URI: 'databricks', DATABRICKS_HOST: route.databricksHost });
    const oss = scoringContainerSpec(run, withRegistry('mlflow'), envWith(), image, '3', route).environment;
    expect(oss?.MLFLOW_REGISTRY_URI).toBe('http://mlflow.local:5000');
    expect(oss).not.toHaveProperty('DATABRICKS_HOST');
    expect(scoringContainerSpec(run, withRegistry('mlflow'), envWith(), image, '3', { ...route, mlflowTrackingUri: undefined }).environment?.MLFLOW_REGISTRY_URI).toBe('');
  });

  it('leaves out the DNS label, the identity and the registry credential when there are none', () => {
    const spec = scoringContainerSpec(run, withRegistry('unity-catalog'), envWith(), image, '1', { identityId: undefined, identityClientId: undefined, databricksHost: undefined, mlflowTrackingUri: undefined });
    expect(spec).not.toHaveProperty('dnsNameLabel');
    expect(spec).not.toHaveProperty('userAssignedIdentities');
    expect(spec).not.toHaveProperty('registry');
    expect(Object.keys(spec.environment ?? {})).toEqual(['MODEL_NAME', 'MODEL_VERSION', 'MLFLOW_REGISTRY_URI', 'PORT']);
  });

  it('attaches the identity but no registry credential for a Docker Hub image', () => {
    const spec = scoringContainerSpec(run, withRegistry('unity-catalog'), envWith(), 'library/python:3.11', '1', route);
    expect(spec.userAssignedIdentities).toEqual([route.identityId]);
    expect(spec).not.toHaveProperty('registry');
  });
});
