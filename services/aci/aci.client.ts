import type { ContainerGroup, ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { TokenCredential } from '@azure/identity';
import { lazyPackage } from '../lazy-package';
import { SCOPES } from '../http/auth';
import { defaultRetryOptions, type RetryOptions } from '../http/retry';
import type { OperationOptions } from '../http/http-pipeline';
import { silentLogger, type Logger } from '../logger';
import { secretsOf, toContainerGroupState, toSdkContainerGroup, toServiceError, type AddressPreference } from './aci.mapper';
import { credentialAuthPolicy, houseRetryPolicy } from './aci.policies';
import type { ContainerGroupSpec, ContainerGroupState, ContainerLogOptions } from './aci.types';

export interface AciClientOptions {
  credential: TokenCredential;
  subscriptionId: string;
  resourceGroup: string;
  /** Default location of new groups (AZURE_LOCATION). */
  location: string;
  /** ARM_ENDPOINT; default https://management.azure.com. http is accepted for a local endpoint only. */
  endpoint?: string;
  /** Per-attempt timeout of each HTTP call (overridable per call with timeoutInMs). */
  timeoutInMs?: number;
  retry?: Partial<RetryOptions>;
  /** Interval between polls of a long-running operation; default 2000 ms (the SDK's). */
  pollIntervalInMs?: number;
  /** Which address the scoring URL uses; the sandbox answers on 127.0.0.1, so it uses 'ip'. */
  addressPreference?: AddressPreference;
  apiVersion?: string;
  logger?: Logger;
  random?: () => number;
  /**
   * ACI_IDENTITY_ID: the scoring identity, a user-assigned identity with AcrPull. A spec whose image is in a private
   * registry and carries no registry credential gets this identity as its credential, because
   * ACI refuses such an image (InaccessibleImage) instead of pulling it anonymously.
   */
  registryPullIdentity?: string;
}

/** Loaded at the first ACI call, not at start-up: with @azure/core-lro it was ≈ 0.1 s of a cold start (issue 13). */
const armContainerInstance = lazyPackage<typeof import('@azure/arm-containerinstance')>('@azure/arm-containerinstance');

/** Registries that serve images without credentials. */
const PUBLIC_REGISTRIES = new Set(['docker.io', 'index.docker.io', 'mcr.microsoft.com']);

/** The spec with the pull identity as registry credential, when its image needs one and has none. */
export function withPullIdentity(spec: ContainerGroupSpec, identity: string | undefined): ContainerGroupSpec {
  const first = spec.image.split('/')[0] ?? '';
  const server = spec.image.includes('/') && (first.includes('.') || first.includes(':')) ? first.toLowerCase() : 'docker.io';
  if (!identity || spec.registry || PUBLIC_REGISTRIES.has(server)) return spec;
  const uai = spec.userAssignedIdentities ?? [];
  return { ...spec, registry: { server, identity }, userAssignedIdentities: uai.includes(identity) ? uai : [...uai, identity] };
}

export interface BeginCreateOrUpdateOptions extends OperationOptions {
  updateIntervalInMs?: number;
  /** A poller's serialize() output, to resume watching after a restart of the bot. */
  resumeFrom?: string;
}

/** Watches a create/update until ARM reports Succeeded or Failed. */
export interface ContainerGroupPoller {
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<ContainerGroupState>;
  isDone(): boolean;
  /** State to pass as `resumeFrom` to watch the same operation later (e.g. after a bot restart). */
  serialize(): string;
}

/**
 * Azure Container Instances through @azure/arm-containerinstance: deploy a scoring image as a
 * container group, watch it, read its logs, restart and delete it. Errors are ServiceError
 * ('aci', operation); answers are our own types.
 */
export class AciClient {
  private client: ContainerInstanceManagementClient | undefined;
  private readonly options: AciClientOptions;
  private rg: string;
  private readonly location: string;
  private readonly pollIntervalInMs: number;
  private readonly addressPreference: AddressPreference;
  private readonly logger: Logger;
  private readonly registryPullIdentity: string | undefined;

  constructor(o: AciClientOptions) {
    this.options = o;
    this.registryPullIdentity = o.registryPullIdentity;
    // Checked now, not at the first call: a bad endpoint is a configuration error.
    new URL(o.endpoint ?? 'https://management.azure.com');
    this.rg = o.resourceGroup;
    this.location = o.location;
    this.pollIntervalInMs = o.pollIntervalInMs ?? 2000;
    this.addressPreference = o.addressPreference ?? 'fqdn';
    this.logger = (o.logger ?? silentLogger).child({ service: 'aci' });
  }

  /**
   * Builds the SDK client now (loading its package, ≈ 0.1–0.2 s), without any call: the bot's
   * warm-up does this once it is idle, so the first deploy after an approval does not block the
   * event loop for it while other clicks wait (bot/warm-up.ts).
   */
  warm(): void {
    void this.sdk;
  }

  /** The SDK client, built at its first use (the package loads then). */
  private get sdk(): ContainerInstanceManagementClient {
    if (this.client) return this.client;
    const o = this.options;
    const endpoint = (o.endpoint ?? 'https://management.azure.com').replace(/\/+$/, '');
    const insecure = new URL(endpoint).protocol === 'http:';
    const sdk = new (armContainerInstance().ContainerInstanceManagementClient)(o.credential, o.subscriptionId, {
      endpoint,
      // The token is for ARM whatever the endpoint (the sandbox issues ARM-audience tokens too).
      credentialScopes: [SCOPES.arm],
      ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}),
      ...(insecure ? { allowInsecureConnection: true } : {}),
    });
    sdk.pipeline.removePolicy({ name: 'defaultRetryPolicy' });
    sdk.pipeline.addPolicy(
      houseRetryPolicy({
        retry: { ...defaultRetryOptions, ...(o.retry ?? {}) },
        defaultTimeoutInMs: o.timeoutInMs ?? 30_000,
        logger: this.logger,
        ...(o.random ? { random: o.random } : {}),
      }),
      { phase: 'Retry' },
    );
    if (insecure) {
      sdk.pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
      sdk.pipeline.addPolicy(credentialAuthPolicy(o.credential, [SCOPES.arm]), { phase: 'Sign' });
    }
    this.client = sdk;
    return sdk;
  }

  /** Names of the SDK pipeline's policies, in order (for diagnostics and tests). */
  policyNames(): string[] {
    return this.sdk.pipeline.getOrderedPolicies().map((p) => p.name);
  }

  async beginCreateOrUpdate(requested: ContainerGroupSpec, options: BeginCreateOrUpdateOptions = {}): Promise<ContainerGroupPoller> {
    const operation = 'containerGroups.createOrUpdate';
    const spec = withPullIdentity(requested, this.registryPullIdentity);
    const secrets = secretsOf(spec);
    this.logger.info('deploying container group', { group: spec.name, image: spec.image, cpu: spec.cpu, memoryInGB: spec.memoryInGB });
    try {
      const poller = await this.sdk.containerGroups.beginCreateOrUpdate(this.rg, spec.name, toSdkContainerGroup(spec, this.location), {
        updateIntervalInMs: options.updateIntervalInMs ?? this.pollIntervalInMs,
        ...this.callOptions(options),
        ...(options.resumeFrom ? { resumeFrom: options.resumeFrom } : {}),
      });
      return {
        isDone: () => poller.isDone(),
        serialize: () => poller.toString(),
        pollUntilDone: async (o = {}) => {
          try {
            const group: ContainerGroup = await poller.pollUntilDone(o.abortSignal ? { abortSignal: o.abortSignal } : {});
            const state = toContainerGroupState(group, this.addressPreference);
            this.logger.info('container group provisioned', { group: spec.name, status: state.status });
            return state;
          } catch (err) {
            throw toServiceError(err, operation, secrets);
          }
        },
      };
    } catch (err) {
      throw toServiceError(err, operation, secrets);
    }
  }

  /** The same client (one SDK pipeline, one retry budget) for another resource group: an environment's own. */
  inResourceGroup(resourceGroup: string | undefined): AciClient {
    if (!resourceGroup || resourceGroup === this.rg) return this;
    const view = Object.create(this) as AciClient;
    view.rg = resourceGroup;
    return view;
  }

  async get(name: string, options: OperationOptions = {}): Promise<ContainerGroupState> {
    try {
      return toContainerGroupState(await this.sdk.containerGroups.get(this.rg, name, this.callOptions(options)), this.addressPreference);
    } catch (err) {
      throw toServiceError(err, 'containerGroups.get');
    }
  }

  /** The resource group's container groups. ARM leaves instance views out of lists: get() each for those. */
  async *list(options: OperationOptions = {}): AsyncIterableIterator<ContainerGroupState> {
    try {
      for await (const g of this.sdk.containerGroups.listByResourceGroup(this.rg, this.callOptions(options))) {
        yield toContainerGroupState(g, this.addressPreference);
      }
    } catch (err) {
      throw toServiceError(err, 'containerGroups.listByResourceGroup');
    }
  }

  async getLogs(name: string, options: ContainerLogOptions & OperationOptions = {}): Promise<string> {
    try {
      const container = options.containerName ?? (await this.get(name, options)).containers[0]?.name ?? 'model';
      const logs = await this.sdk.containers.listLogs(this.rg, name, container, {
        ...this.callOptions(options),
        ...(options.tail !== undefined ? { tail: options.tail } : {}),
        ...(options.timestamps !== undefined ? { timestamps: options.timestamps } : {}),
      });
      return logs.content ?? '';
    } catch (err) {
      throw toServiceError(err, 'containers.listLogs');
    }
  }

  async restart(name: string, options: OperationOptions & { updateIntervalInMs?: number } = {}): Promise<void> {
    try {
      await this.sdk.containerGroups.beginRestartAndWait(this.rg, name, { ...this.callOptions(options), updateIntervalInMs: options.updateIntervalInMs ?? this.pollIntervalInMs });
    } catch (err) {
      throw toServiceError(err, 'containerGroups.restart');
    }
  }

  /** Deletes the group; a group that does not exist counts as deleted (ARM answers 204). */
  async delete(name: string, options: OperationOptions & { updateIntervalInMs?: number } = {}): Promise<void> {
    try {
      await this.sdk.containerGroups.beginDeleteAndWait(this.rg, name, { ...this.callOptions(options), updateIntervalInMs: options.updateIntervalInMs ?? this.pollIntervalInMs });
      this.logger.info('container group deleted', { group: name });
    } catch (err) {
      throw toServiceError(err, 'containerGroups.delete');
    }
  }

  private callOptions(o: OperationOptions): { abortSignal?: AbortSignal; requestOptions?: { timeout: number } } {
    return {
      ...(o.abortSignal ? { abortSignal: o.abortSignal } : {}),
      ...(o.timeoutInMs !== undefined ? { requestOptions: { timeout: o.timeoutInMs } } : {}),
    };
  }
}
