import { ImageRegistryStore } from '../../sandbox/acr/image-registry.store';
import { loadConfig } from '../../services/config/config';
import { scoringContainerSpec } from '../../services/workflow/scoring-container';
import type { RunRecord } from '../../services/workflow/run.types';
import { startAciHarness, type AciHarness } from './aci-harness';

const ACR = 'mlopsacr.azurecr.io';
const IDENTITY = '/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mlops-scoring';
const model = loadConfig({ MLOPS_SANDBOX: '1' }, undefined, `${__dirname}/../..`).mlops.models['fashion-cnn']!;
const run = { id: 'r-42', model: 'fashion-cnn' } as RunRecord;
const route = { identityId: IDENTITY, identityClientId: '7d2c1f0e-5b8a-4c3d-9e6f-1a2b3c4d5e6f', databricksHost: 'https://adb-1.2.azuredatabricks.net', mlflowTrackingUri: undefined };

describe('scoring images: the sandbox ACR and ACI pulling with a managed identity', () => {
  let h: AciHarness;
  const acr = new ImageRegistryStore(ACR);
  beforeAll(async () => {
    h = await startAciHarness({ registries: [acr] });
    acr.registerRoutes(h.arm.server);
  });
  afterAll(() => h.close());

  it('sends exactly what the image start route needs: pinned version, registry URI, workspace, identity for pull and download', () => {
    const spec = scoringContainerSpec(run, model, model.environments[0]!, `${ACR}/mlops-scoring:abc`, '7', route);
    expect(spec.environment).toEqual({ MODEL_NAME: 'main.mlops.fashion_cnn', MODEL_VERSION: '7', MLFLOW_REGISTRY_URI: 'databricks-uc', PORT: '5001', DATABRICKS_HOST: route.databricksHost, AZURE_CLIENT_ID: route.identityClientId });
    expect(spec.registry).toEqual({ server: ACR, identity: IDENTITY });
    expect(spec.userAssignedIdentities).toEqual([IDENTITY]);
    expect(spec.secureEnvironment).toBeUndefined(); // no secret travels: the identity is the credential
  });

  it('refuses a container group whose private image was never pushed, as ACI does (400 InaccessibleImage)', async () => {
    const spec = scoringContainerSpec(run, model, model.environments[0]!, `${ACR}/mlops-scoring:never-pushed`, '7', route);
    await expect(h.client().beginCreateOrUpdate({ ...spec, name: 'img-missing' })).rejects.toMatchObject({
      status: 400,
      code: 'InaccessibleImage',
      message: `The image '${ACR}/mlops-scoring:never-pushed' in container group 'img-missing' is not accessible. Please check the image and registry credential.`,
    });
  });

  it('refuses a pushed private image without registry credentials, and runs it with the identity', async () => {
    const image = `${ACR}/mlops-scoring:c0ffee`;
    acr.push(image, h.clock.now());
    const spec = scoringContainerSpec(run, model, model.environments[0]!, image, '7', route);
    const { registry: _registry, ...withoutCredentials } = spec;
    // A client with no pull identity of its own sends the spec as it is (ACI_IDENTITY_ID unset).
    await expect(h.client({ registryPullIdentity: undefined }).beginCreateOrUpdate({ ...withoutCredentials, name: 'img-nocred' })).rejects.toMatchObject({ status: 400, code: 'InaccessibleImage' });
    const poller = await h.client().beginCreateOrUpdate({ ...spec, name: 'img-ok' });
    const group = await poller.pollUntilDone();
    expect(group.provisioningState).toBe('Succeeded');
  });

  it('serves what was pushed through the registry API (tags list; unknown names as distribution errors)', async () => {
    const tags = await fetch(`${h.arm.url}/v2/mlops-scoring/tags/list`);
    expect(await tags.json()).toEqual({ name: 'mlops-scoring', tags: ['c0ffee'] });
    const missing = await fetch(`${h.arm.url}/v2/nope/tags/list`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: { name: 'nope' } }] });
  });
});
