/**
 * Our own view of Azure Container Instances: what the bot needs to deploy a scoring image, watch
 * it come up, smoke-test it and clean up. The SDK's models stay inside services/aci.
 */
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface ReadinessProbeSpec {
  /** HTTP path probed on the container port (or `port`). */
  path: string;
  port?: number;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
  timeoutSeconds?: number;
}

export interface RegistryCredentialSpec {
  server: string;
  username?: string;
  /** Sent to ARM, never logged, never echoed back by ARM. */
  password?: string;
  /** Resource id of a user-assigned identity that may pull from the registry (instead of a password). */
  identity?: string;
}

export interface ContainerGroupSpec {
  /** Container group name: lowercase letters, digits and '-', at most 63 characters. */
  name: string;
  /** Defaults to the client's location. */
  location?: string;
  image: string;
  /** Name of the (single) container; default `model`. */
  containerName?: string;
  cpu: number;
  memoryInGB: number;
  /** Port the scoring server listens on, exposed publicly over TCP. */
  port: number;
  command?: string[];
  environment?: Record<string, string>;
  /** Secrets (API keys...): sent as secureValue, never logged and never part of an error. */
  secureEnvironment?: Record<string, string>;
  /** Public DNS label: the group answers at {label}.{region}.azurecontainer.io. */
  dnsNameLabel?: string;
  readinessProbe?: ReadinessProbeSpec;
  restartPolicy?: RestartPolicy;
  registry?: RegistryCredentialSpec;
  /** Resource ids of user-assigned managed identities to attach. */
  userAssignedIdentities?: string[];
  tags?: Record<string, string>;
}

export interface ContainerEvent {
  name: string;
  message: string;
  type: string;
  count: number;
  firstTimestamp: Date | undefined;
  lastTimestamp: Date | undefined;
}

export type ContainerRunState = 'Waiting' | 'Running' | 'Terminated' | (string & {});

export interface ContainerInstanceState {
  name: string;
  image: string;
  ports: number[];
  state: ContainerRunState | undefined;
  detailStatus: string | undefined;
  exitCode: number | undefined;
  startTime: Date | undefined;
  finishTime: Date | undefined;
  restartCount: number;
  events: ContainerEvent[];
}

/** ARM provisioning states; anything else is treated as still in progress. */
export type ProvisioningState = 'Pending' | 'Creating' | 'Succeeded' | 'Failed' | 'Updating' | 'Deleting' | 'Repairing' | (string & {});

/**
 * One word for the bot: Provisioning (ARM still working), Running (every container running),
 * Crashing (a container exited with an error or keeps restarting), Stopped (containers exited
 * cleanly under a Never/OnFailure policy), Failed (provisioning failed).
 */
export type ContainerGroupStatus = 'Provisioning' | 'Running' | 'Crashing' | 'Stopped' | 'Failed';

export interface ContainerGroupState {
  id: string;
  name: string;
  location: string;
  provisioningState: ProvisioningState;
  /** The group's runtime state from its instance view (Pending, Running, Stopped...), when present. */
  instanceState: string | undefined;
  status: ContainerGroupStatus;
  ip: string | undefined;
  fqdn: string | undefined;
  /** Public ports of the group (ipAddress.ports). */
  ports: number[];
  /** http://{fqdn or ip}[:port] of the first public port once provisioned; where /score lives. */
  scoringBaseUrl: string | undefined;
  restartPolicy: string | undefined;
  containers: ContainerInstanceState[];
  /** Group-level events (mount failures, pull failures...). */
  events: ContainerEvent[];
  tags: Record<string, string>;
}

export interface ContainerLogOptions {
  /** Defaults to the first container. */
  containerName?: string;
  /** Last N lines only. */
  tail?: number;
  timestamps?: boolean;
}
