/**
 * Typed errors for every upstream call. They keep what an operator needs to find the failing
 * request on the other side (service, operation, HTTP status, the service's own error code and
 * message, the request id) and never the request's credentials.
 */
export type ServiceName = 'azure-devops' | 'databricks' | 'mlflow' | 'aci' | 'teams' | 'identity' | 'graph' | 'azure-table';

export interface ServiceErrorInit {
  service: ServiceName;
  operation: string;
  message: string;
  status?: number;
  code?: string;
  requestId?: string;
  retryable?: boolean;
  cause?: unknown;
}

export class ServiceError extends Error {
  readonly service: ServiceName;
  readonly operation: string;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;

  constructor(init: ServiceErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ServiceError';
    this.service = init.service;
    this.operation = init.operation;
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.retryable = init.retryable ?? false;
  }

  /** One line for logs and for the "details" of a failure card: no secrets, no stack. */
  describe(): string {
    const parts = [`${this.service}.${this.operation}`];
    if (this.status !== undefined) parts.push(`HTTP ${this.status}`);
    if (this.code) parts.push(this.code);
    parts.push(this.message);
    if (this.requestId) parts.push(`(request id ${this.requestId})`);
    return parts.join(' ');
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      service: this.service,
      operation: this.operation,
      status: this.status,
      code: this.code,
      requestId: this.requestId,
      message: this.message,
    };
  }
}

/** A resource that does not exist: callers often branch on this one. */
export function isNotFound(err: unknown): boolean {
  return err instanceof ServiceError && err.status === 404;
}

/** No Authorization could be obtained for a call (the credential refused or is missing). */
export class CredentialError extends ServiceError {
  constructor(init: ServiceErrorInit) {
    super(init);
    this.name = 'CredentialError';
  }
}

export class TimeoutError extends Error {
  constructor(readonly timeoutInMs: number) {
    super(`timed out after ${timeoutInMs} ms`);
    this.name = 'TimeoutError';
  }
}
