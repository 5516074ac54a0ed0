import type { ContainerGroupSpec } from '../aci/aci.types';
import type { EnvironmentConfig, ModelConfig } from '../config/mlops-config.schema';
import type { RunRecord } from './run.types';

/**
 * The container group of a scoring deployment: exactly what the image's start route needs
 * (infra/scoring/fetch_model.py then score.py; docs/scoring.md):
 * - MODEL_NAME + MODEL_VERSION: the approved version, pinned (never an alias or "latest");
 * - MLFLOW_REGISTRY_URI (+ DATABRICKS_HOST for the Databricks registries): where to download it from;
 * - AZURE_CLIENT_ID: the user-assigned identity the container asks IMDS for a Databricks token with;
 * - the same identity pulls the image from ACR (imageRegistryCredentials with `identity`, AcrPull).
 * No secret travels: the identity is the credential.
 */
export interface ScoringRoute {
  /** Resource id of the user-assigned identity (AcrPull on the registry, EXECUTE on the model). */
  identityId: string | undefined;
  /** Its client id (fetch_model.py asks IMDS with it). */
  identityClientId: string | undefined;
  databricksHost: string | undefined;
  mlflowTrackingUri: string | undefined;
}

const REGISTRY_URI: Record<ModelConfig['registry'], string | undefined> = { 'unity-catalog': 'databricks-uc', workspace: 'databricks', mlflow: undefined };

/** The registry host of an image reference (`myacr.azurecr.io/repo:tag` → `myacr.azurecr.io`); undefined for Docker Hub names. */
export function imageRegistry(image: string): string | undefined {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : undefined;
}

/** The container group of `run` in its environment `env` (name, size and port are the environment's). */
export function scoringContainerSpec(run: RunRecord, m: ModelConfig, env: EnvironmentConfig, image: string, version: string, route: ScoringRoute): ContainerGroupSpec {
  const registryUri = REGISTRY_URI[m.registry] ?? route.mlflowTrackingUri ?? '';
  const server = imageRegistry(image);
  return {
    name: env.containerGroup,
    image,
    cpu: env.cpu,
    memoryInGB: env.memoryInGB,
    port: env.port,
    ...(env.dnsLabel ? { dnsNameLabel: env.dnsLabel } : {}),
    environment: {
      MODEL_NAME: m.registeredModel,
      MODEL_VERSION: version,
      MLFLOW_REGISTRY_URI: registryUri,
      PORT: String(env.port),
      ...(m.registry !== 'mlflow' && route.databricksHost ? { DATABRICKS_HOST: route.databricksHost } : {}),
      ...(route.identityClientId ? { AZURE_CLIENT_ID: route.identityClientId } : {}),
    },
    ...(route.identityId ? { userAssignedIdentities: [route.identityId] } : {}),
    ...(route.identityId && server ? { registry: { server, identity: route.identityId } } : {}),
    // The model downloads at start: probe / so ACI reports Running only once the version is served.
    readinessProbe: { path: '/', port: env.port, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 30 },
    restartPolicy: 'Always',
    tags: { 'mlops-run': run.id, 'mlops-model': run.model, 'mlops-version': version, 'mlops-environment': env.name },
  };
}
