import type { Container, ContainerGroup, EnvironmentVariable } from '@azure/arm-containerinstance';
import { ServiceError, TimeoutError } from '../http/errors';
import { redactText } from '../http/redact';
import { isRetryableStatus } from '../http/retry';
import type { ContainerEvent, ContainerGroupSpec, ContainerGroupState, ContainerGroupStatus, ContainerInstanceState } from './aci.types';
import { credentialFailureIsTransient } from '../identity/credential-failure';

/** Our spec → the SDK's (flattened) ContainerGroup model; the SDK nests it under `properties`. */
export function toSdkContainerGroup(spec: ContainerGroupSpec, defaultLocation: string): ContainerGroup {
  const env: EnvironmentVariable[] = [
    ...Object.entries(spec.environment ?? {}).map(([name, value]) => ({ name, value })),
    ...Object.entries(spec.secureEnvironment ?? {}).map(([name, secureValue]) => ({ name, secureValue })),
  ];
  const probe = spec.readinessProbe;
  const container: Container = {
    name: spec.containerName ?? 'model',
    image: spec.image,
    ...(spec.command ? { command: spec.command } : {}),
    ports: [{ port: spec.port, protocol: 'TCP' }],
    environmentVariables: env,
    resources: { requests: { cpu: spec.cpu, memoryInGB: spec.memoryInGB } },
    ...(probe
      ? {
          readinessProbe: {
            httpGet: { path: probe.path, port: probe.port ?? spec.port, scheme: 'http' },
            ...(probe.initialDelaySeconds !== undefined ? { initialDelaySeconds: probe.initialDelaySeconds } : {}),
            ...(probe.periodSeconds !== undefined ? { periodSeconds: probe.periodSeconds } : {}),
            ...(probe.failureThreshold !== undefined ? { failureThreshold: probe.failureThreshold } : {}),
            ...(probe.timeoutSeconds !== undefined ? { timeoutSeconds: probe.timeoutSeconds } : {}),
          },
        }
      : {}),
  };
  const uai = spec.userAssignedIdentities ?? [];
  return {
    location: spec.location ?? defaultLocation,
    osType: 'Linux',
    sku: 'Standard',
    restartPolicy: spec.restartPolicy ?? 'Always',
    containers: [container],
    ipAddress: {
      type: 'Public',
      ports: [{ port: spec.port, protocol: 'TCP' }],
      ...(spec.dnsNameLabel ? { dnsNameLabel: spec.dnsNameLabel } : {}),
    },
    ...(spec.registry ? { imageRegistryCredentials: [{ ...spec.registry }] } : {}),
    ...(uai.length ? { identity: { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries(uai.map((id) => [id, {}])) } } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
  };
}

/** The values that must never appear in an error or a log line for this spec. */
export function secretsOf(spec: ContainerGroupSpec): string[] {
  return [...Object.values(spec.secureEnvironment ?? {}), ...(spec.registry?.password ? [spec.registry.password] : [])];
}

type SdkEvent = NonNullable<NonNullable<ContainerGroup['instanceView']>['events']>[number];

function mapEvents(events: readonly SdkEvent[] | undefined): ContainerEvent[] {
  return (events ?? []).map((e) => ({
    name: e.name ?? '',
    message: e.message ?? '',
    type: e.type ?? 'Normal',
    count: e.count ?? 1,
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
  }));
}

function mapContainer(c: Container): ContainerInstanceState {
  const iv = c.instanceView;
  return {
    name: c.name,
    image: c.image,
    ports: (c.ports ?? []).map((p) => p.port),
    state: iv?.currentState?.state,
    detailStatus: iv?.currentState?.detailStatus || undefined,
    exitCode: iv?.currentState?.exitCode,
    startTime: iv?.currentState?.startTime,
    finishTime: iv?.currentState?.finishTime,
    restartCount: iv?.restartCount ?? 0,
    events: mapEvents(iv?.events),
  };
}

export type AddressPreference = 'fqdn' | 'ip';

export function toContainerGroupState(g: ContainerGroup, prefer: AddressPreference = 'fqdn'): ContainerGroupState {
  const containers = (g.containers ?? []).map(mapContainer);
  const ports = (g.ipAddress?.ports ?? []).map((p) => p.port);
  const ip = g.ipAddress?.ip || undefined;
  const fqdn = g.ipAddress?.fqdn || undefined;
  const host = prefer === 'ip' ? (ip ?? fqdn) : (fqdn ?? ip);
  const port = ports[0];
  const provisioningState = g.provisioningState ?? 'Pending';
  return {
    id: g.id ?? '',
    name: g.name ?? '',
    location: g.location ?? '',
    provisioningState,
    instanceState: g.instanceView?.state,
    status: statusOf(provisioningState, g.restartPolicy, containers),
    ip,
    fqdn,
    ports,
    scoringBaseUrl: provisioningState === 'Succeeded' && host && port !== undefined ? `http://${host}${port === 80 ? '' : `:${port}`}` : undefined,
    restartPolicy: g.restartPolicy,
    containers,
    events: mapEvents(g.instanceView?.events),
    tags: { ...(g.tags ?? {}) },
  };
}

function statusOf(provisioning: string, restartPolicy: string | undefined, containers: ContainerInstanceState[]): ContainerGroupStatus {
  if (provisioning === 'Failed') return 'Failed';
  if (provisioning !== 'Succeeded') return 'Provisioning';
  const crashed = containers.some((c) => (c.state === 'Terminated' && c.exitCode !== 0) || (c.state !== 'Running' && c.restartCount > 0) || c.detailStatus === 'CrashLoopBackOff');
  if (crashed) return 'Crashing';
  if (containers.length > 0 && containers.every((c) => c.state === 'Running')) return 'Running';
  if (containers.length > 0 && containers.every((c) => c.state === 'Terminated') && restartPolicy !== 'Always') return 'Stopped';
  // Provisioned but the instance view has not caught up yet (no currentState).
  return 'Provisioning';
}

interface RestErrorLike {
  name: string;
  message: string;
  code?: string;
  statusCode?: number;
  response?: { headers: { get(name: string): string | undefined }; bodyAsText?: string | null };
  request?: { method?: string };
}

function isRestError(err: unknown): err is RestErrorLike {
  return err instanceof Error && err.name === 'RestError';
}

/** @azure/core-lro's error message for an operation whose status is `Canceled` (poller.ts, cancelErrMsg). */
const LRO_CANCELED = 'Operation was canceled';

/** ACI's code for an operation on a group whose previous operation has not ended (409). */
const TRANSITIONING = 'ContainerGroupTransitioning';

/** Network failures worth a retry on an idempotent call. */
export const NETWORK_CODES = new Set(['REQUEST_SEND_ERROR', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

export function isNetworkError(err: unknown): boolean {
  return isRestError(err) && err.statusCode === undefined && NETWORK_CODES.has(err.code ?? '');
}

/**
 * Any failure of an ARM call → ServiceError('aci', operation): status, ARM error code, message,
 * x-ms-request-id. Messages are redacted of tokens and of the call's own secrets.
 */
export function toServiceError(err: unknown, operation: string, secrets: readonly string[] = []): ServiceError {
  if (err instanceof ServiceError) return err;
  const clean = (m: string): string => redactText(m, secrets);
  if (err instanceof Error && err.message === LRO_CANCELED) {
    // @azure/core-lro's report of an operation that ended `Canceled`, one of the three terminal
    // statuses of the ARM RPC (the SDK polls once before a begin* call returns). ARM accepted the
    // PUT and did not carry it out; what the group is now is the next read's business, and the
    // call may be made again.
    return new ServiceError({ service: 'aci', operation, code: 'OperationCanceled', message: 'ARM reported the operation canceled', retryable: true, cause: err });
  }
  if (err instanceof TimeoutError) {
    return new ServiceError({ service: 'aci', operation, code: 'Timeout', message: `no answer within ${err.timeoutInMs} ms`, retryable: true });
  }
  if (isRestError(err)) {
    const requestId = err.response?.headers.get('x-ms-request-id');
    const status = err.statusCode;
    let code = err.code;
    let message = err.message;
    const body = parseArmError(err.response?.bodyAsText);
    if (body.code) code = body.code;
    if (body.message) message = body.message;
    return new ServiceError({
      service: 'aci',
      operation,
      message: clean(message || (status ? `HTTP ${status}` : 'network error')),
      ...(status !== undefined ? { status } : {}),
      ...(code ? { code } : {}),
      ...(requestId ? { requestId } : {}),
      // 409 ContainerGroupTransitioning: the group's previous operation has not ended ("please retry
      // later"), e.g. a PUT sent again after a restart while the first is still creating.
      retryable: status === undefined ? NETWORK_CODES.has(code ?? '') : code === TRANSITIONING || isRetryableStatus(status, !['POST', 'PATCH'].includes(err.request?.method ?? 'POST')),
      cause: err,
    });
  }
  if (err instanceof Error && (err.name === 'CredentialUnavailableError' || err.name === 'AuthenticationError' || err.name === 'AuthenticationRequiredError')) {
    // A throttled or unavailable token endpoint is retryable: the run waits for the next pass instead of failing.
    return new ServiceError({ service: 'identity', operation: `${operation}/getToken`, code: err.name, message: clean(err.message), retryable: credentialFailureIsTransient(err), cause: err });
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return new ServiceError({ service: 'aci', operation, code: 'Aborted', message: 'the operation was cancelled', cause: err });
  }
  // @azure/core-lro reports a Failed operation as a plain Error with the ARM code and message in its text.
  const lro = err instanceof Error ? /^The long-running operation has failed(?:\. ([^.]+)\. ([\s\S]*))?$/.exec(err.message) : null;
  if (lro) {
    return new ServiceError({ service: 'aci', operation, code: lro[1] ?? 'ProvisioningFailed', message: clean(lro[2] ?? 'the deployment failed'), cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ServiceError({ service: 'aci', operation, code: 'ClientError', message: clean(message), cause: err });
}

function parseArmError(text: string | null | undefined): { code?: string; message?: string } {
  if (!text) return {};
  try {
    const b = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return {
      ...(typeof b.error?.code === 'string' ? { code: b.error.code } : {}),
      ...(typeof b.error?.message === 'string' ? { message: b.error.message } : {}),
    };
  } catch {
    return {};
  }
}
