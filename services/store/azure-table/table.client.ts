import { TableClient, type TableEntity, type TableEntityResult, type TableTransactionResponse, type TransactionAction } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { ServiceError } from '../../http/errors';

/** A row as the store sees it: keys, the service's ETag and Timestamp, and its properties. */
export type Row = Record<string, unknown> & { partitionKey: string; rowKey: string; etag: string; timestamp?: string };
const asRow = (e: TableEntityResult<Record<string, unknown>>): Row => ({ ...e, partitionKey: e.partitionKey ?? '', rowKey: e.rowKey ?? '', etag: e.etag });

/** The write was refused because the row changed (412) or already exists (409): the caller lost a race. */
export class TableConflictError extends Error {
  constructor(readonly status: 409 | 412, readonly operation: string) {
    super(`${operation}: ${status === 412 ? 'the row was changed by someone else' : 'the row exists already'}`);
    this.name = 'TableConflictError';
  }
}

export interface TableTarget {
  /** `azure-table:<connection string>` (account key; Azurite) or `azure-table:<https endpoint>` (Entra). */
  connectionString?: string;
  endpoint?: string;
  table: string;
}

export interface AzureTableOptions {
  target: TableTarget;
  /** The bot's one credential (services/clients.ts); used with an endpoint, never with a connection string. */
  credential?: TokenCredential;
  /** Per call, the SDK's own retries included (default 30 s). */
  timeoutInMs?: number;
}

/**
 * One table through @azure/data-tables (its pipeline retries 5xx/429/408 with exponential back-off
 * and honours Retry-After). This wrapper adds a deadline per call, maps service errors to typed
 * ones (ServiceError with status, code and request id; TableConflictError for lost races) and
 * counts requests, so the bench can say how many a transition costs.
 */
export class AzureTable {
  readonly client: TableClient;
  /** Requests sent (a transaction counts once). */
  requests = 0;
  private readonly timeoutInMs: number;

  constructor(opts: AzureTableOptions) {
    const t = opts.target;
    this.timeoutInMs = opts.timeoutInMs ?? 30_000;
    const local = (url: string): boolean => /^http:\/\/(127\.|localhost|\[::1\])/.test(url);
    if (t.connectionString) {
      const endpoint = /TableEndpoint=([^;]+)/i.exec(t.connectionString)?.[1] ?? '';
      this.client = TableClient.fromConnectionString(t.connectionString, t.table, { allowInsecureConnection: local(endpoint) });
    } else if (t.endpoint && opts.credential) {
      this.client = new TableClient(t.endpoint, t.table, opts.credential, { allowInsecureConnection: local(t.endpoint) });
    } else {
      throw new Error('an Azure table needs a connection string, or an endpoint and the bot\'s credential');
    }
  }

  private options(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(this.timeoutInMs) };
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.requests++;
    try {
      return await fn();
    } catch (e) {
      throw toError(operation, e);
    }
  }

  async createTable(): Promise<void> {
    // createTable answers 409 TableAlreadyExists as success (the SDK swallows it).
    await this.call('createTable', () => this.client.createTable(this.options()));
  }

  async get(pk: string, rk: string): Promise<Row | undefined> {
    try {
      return asRow(await this.call('getEntity', () => this.client.getEntity<Record<string, unknown>>(pk, rk, this.options())));
    } catch (e) {
      if (e instanceof ServiceError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Every row that matches (all pages: the SDK follows continuation tokens, one request per page). */
  async query(filter: string, select?: string[]): Promise<Row[]> {
    const out: Row[] = [];
    const pages = this.client.listEntities<Record<string, unknown>>({ queryOptions: { filter, ...(select ? { select } : {}) }, ...this.options() }).byPage({ maxPageSize: 1000 });
    for (;;) {
      const page = await this.call('queryEntities', () => pages.next());
      // The iterator's last step sends nothing.
      if (page.done) {
        this.requests--;
        break;
      }
      out.push(...(page.value as Array<TableEntityResult<Record<string, unknown>>>).map(asRow));
    }
    return out;
  }

  async create(entity: TableEntity<Record<string, unknown>>): Promise<void> {
    await this.call('createEntity', () => this.client.createEntity(entity, this.options()));
  }

  async upsert(entity: TableEntity<Record<string, unknown>>, mode: 'Merge' | 'Replace' = 'Merge'): Promise<void> {
    await this.call('upsertEntity', () => this.client.upsertEntity(entity, mode, this.options()));
  }

  /** Updates only if the row still has `etag` (If-Match); TableConflictError(412) otherwise. */
  async update(entity: TableEntity<Record<string, unknown>>, etag: string, mode: 'Merge' | 'Replace' = 'Merge'): Promise<void> {
    await this.call('updateEntity', () => this.client.updateEntity(entity, mode, { ...this.options(), etag }));
  }

  /** Deletes (If-Match `etag`, or unconditionally); a missing row is not an error. */
  async delete(pk: string, rk: string, etag?: string): Promise<void> {
    try {
      await this.call('deleteEntity', () => this.client.deleteEntity(pk, rk, { ...this.options(), ...(etag ? { etag } : {}) }));
    } catch (e) {
      if (e instanceof ServiceError && e.status === 404) return;
      throw e;
    }
  }

  /** One entity-group transaction: all actions in one partition, all or nothing. */
  async transaction(actions: TransactionAction[]): Promise<TableTransactionResponse | undefined> {
    if (actions.length === 0) return undefined;
    if (actions.length > 100) throw new Error(`a transaction holds at most 100 operations (asked for ${actions.length})`);
    return this.call('submitTransaction', () => this.client.submitTransaction(actions, this.options()));
  }
}

interface RestLike {
  statusCode?: number;
  code?: string;
  message?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

function toError(operation: string, e: unknown): Error {
  if (e instanceof TableConflictError || e instanceof ServiceError) return e;
  const r = (e ?? {}) as RestLike;
  const status = r.statusCode;
  // A transaction reports the failing operation's status; 412 is a lost If-Match, 409 an insert of an existing row.
  if (status === 412 || r.code === 'UpdateConditionNotSatisfied') return new TableConflictError(412, operation);
  if (status === 409 && (r.code === 'EntityAlreadyExists' || operation !== 'createTable')) return new TableConflictError(409, operation);
  const aborted = e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
  return new ServiceError({
    service: 'azure-table',
    operation,
    message: aborted ? 'no answer in time' : (r.message ?? String(e)).split('\n')[0]?.slice(0, 300) ?? 'failed',
    ...(status !== undefined ? { status } : aborted ? { status: 408 } : {}),
    ...(r.code ? { code: r.code } : {}),
    ...(r.response?.headers?.get('x-ms-request-id') ? { requestId: r.response.headers.get('x-ms-request-id') } : {}),
    retryable: aborted || status === undefined || status >= 500 || status === 429 || status === 408,
    cause: e,
  });
}
