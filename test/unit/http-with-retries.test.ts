import { ServiceError, TimeoutError } from '../../services/http/errors';
import { createLogger } from '../../services/logger';
import { withRetries, type ClassifiedError, type WithRetriesOptions } from '../../services/http/with-retries';

/**
 * The retry policy around SDK calls (azure-devops-node-api owns their HTTP). The waits are real
 * but tiny (a base of 1 ms); the test asserts what was retried and the error given, never a time.
 */
const classifyAs = (c: ClassifiedError) => (): ClassifiedError => c;
const options = (over: Partial<WithRetriesOptions> = {}): WithRetriesOptions => ({
  service: 'azure-devops', operation: 'runs.get', timeoutInMs: 5_000, idempotent: true, retry: { maxRetries: 2, baseDelayInMs: 1, maxDelayInMs: 2 }, classify: classifyAs({ message: 'x' }), ...over,
});
function failing(errors: Error[], then: unknown = 'done'): { fn: (signal: AbortSignal) => Promise<unknown>; calls: number; signals: AbortSignal[] } {
  const state = { calls: 0, signals: [] as AbortSignal[], fn: async (signal: AbortSignal): Promise<unknown> => {
    state.signals.push(signal);
    const e = errors[state.calls++];
    if (e !== undefined) throw e;
    return then;
  } };
  return state;
}

describe('withRetries', () => {
  it('answers at once when the call succeeds', async () => {
    const f = failing([]);
    await expect(withRetries(f.fn, options())).resolves.toBe('done');
    expect(f.calls).toBe(1);
  });

  it('retries a retryable status up to maxRetries, logging each retry, then gives the typed error', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('warn', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const cause = new Error('sdk 503');
    const f = failing([cause, cause, cause]);
    const err = (await withRetries(f.fn, options({ logger, classify: classifyAs({ status: 503, code: 'ServiceUnavailable', message: 'down', requestId: 'req-1' }) })).catch((e: unknown) => e)) as ServiceError;
    expect(f.calls).toBe(3);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ service: 'azure-devops', operation: 'runs.get', status: 503, code: 'ServiceUnavailable', message: 'down', requestId: 'req-1', retryable: true });
    expect(err.cause).toBe(cause);
    expect(lines.map((l) => [l.msg, l.attempt, l.status, l.code, l.service, l.operation])).toEqual([
      ['retrying', 1, 503, 'ServiceUnavailable', 'azure-devops', 'runs.get'],
      ['retrying', 2, 503, 'ServiceUnavailable', 'azure-devops', 'runs.get'],
    ]);
    expect(lines.every((l) => typeof l.delayMs === 'number')).toBe(true);
  });

  it('succeeds on a later attempt after a retryable error', async () => {
    const f = failing([new Error('429')]);
    await expect(withRetries(f.fn, options({ classify: classifyAs({ status: 429, message: 'slow down', retryAfterMs: 1 }) }))).resolves.toBe('done');
    expect(f.calls).toBe(2);
  });

  it('does not retry a status that is not retryable, nor a 500 on a call that is not idempotent', async () => {
    const f = failing([new Error('404'), new Error('404')]);
    await expect(withRetries(f.fn, options({ classify: classifyAs({ status: 404, message: 'gone' }) }))).rejects.toMatchObject({ status: 404, retryable: false });
    expect(f.calls).toBe(1);
    const g = failing([new Error('500'), new Error('500')]);
    await expect(withRetries(g.fn, options({ idempotent: false, classify: classifyAs({ status: 500, message: 'oops' }) }))).rejects.toMatchObject({ status: 500, retryable: false });
    expect(g.calls).toBe(1);
    const h = failing([new Error('500')]);
    await expect(withRetries(h.fn, options({ classify: classifyAs({ status: 500, message: 'oops' }) }))).resolves.toBe('done');
  });

  it('retries a network error only when the call is idempotent', async () => {
    const reset = failing([new Error('ECONNRESET')]);
    await expect(withRetries(reset.fn, options({ classify: classifyAs({ message: 'reset', code: 'ECONNRESET', network: true }) }))).resolves.toBe('done');
    const post = failing([new Error('ECONNRESET')]);
    const err = (await withRetries(post.fn, options({ idempotent: false, classify: classifyAs({ message: 'reset', code: 'ECONNRESET', network: true }) })).catch((e: unknown) => e)) as ServiceError;
    expect(err).toMatchObject({ code: 'ECONNRESET', retryable: false });
    expect(err).not.toHaveProperty('status', expect.anything());
    expect(err.requestId).toBeUndefined();
    expect(post.calls).toBe(1);
  });

  it('cuts a call that does not answer, aborts its signal, and says so without a cause', async () => {
    let seen: AbortSignal | undefined;
    const hang = (signal: AbortSignal): Promise<never> => {
      seen = signal;
      return new Promise(() => undefined);
    };
    const err = (await withRetries(hang, options({ timeoutInMs: 10, idempotent: false })).catch((e: unknown) => e)) as ServiceError;
    expect(err).toMatchObject({ code: 'Timeout', message: 'no answer within 10 ms', retryable: false });
    expect(err.cause).toBeUndefined();
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(TimeoutError);
  });

  it('retries a timeout on an idempotent call', async () => {
    let calls = 0;
    const slowThenFast = (): Promise<string> => (++calls === 1 ? new Promise(() => undefined) : Promise.resolve('second'));
    await expect(withRetries(slowThenFast, options({ timeoutInMs: 10 }))).resolves.toBe('second');
    expect(calls).toBe(2);
  });

  it("stops at once when the caller aborts, with the caller's error, and passes the abort on to the call", async () => {
    const outer = new AbortController();
    let inner: AbortSignal | undefined;
    const call = (signal: AbortSignal): Promise<never> =>
      new Promise((_r, reject) => {
        inner = signal;
        signal.addEventListener('abort', () => reject(new Error('call aborted')));
        outer.abort(new Error('user canceled'));
      });
    const classify = jest.fn(classifyAs({ status: 503, message: 'x' }));
    await expect(withRetries(call, options({ abortSignal: outer.signal, classify }))).rejects.toThrow('call aborted');
    expect(inner?.aborted).toBe(true);
    expect((inner?.reason as Error).message).toBe('user canceled');
    expect(classify).not.toHaveBeenCalled();
  });

  it('stops waiting between attempts when the caller aborts', async () => {
    const outer = new AbortController();
    let calls = 0;
    const call = async (): Promise<never> => {
      calls++;
      setImmediate(() => outer.abort(new Error('stop')));
      throw new Error('503');
    };
    await expect(withRetries(call, options({ abortSignal: outer.signal, retry: { maxRetries: 3, baseDelayInMs: 60_000, maxDelayInMs: 60_000 }, classify: classifyAs({ status: 503, message: 'down' }) }))).rejects.toThrow('stop');
    expect(calls).toBe(1);
  });

  it('removes its listener from the caller signal after each attempt', async () => {
    const outer = new AbortController();
    const add = jest.spyOn(outer.signal, 'addEventListener');
    const remove = jest.spyOn(outer.signal, 'removeEventListener');
    const f = failing([new Error('503')]);
    await withRetries(f.fn, options({ abortSignal: outer.signal, classify: classifyAs({ status: 503, message: 'down' }) }));
    const added = add.mock.calls.filter((c) => c[0] === 'abort').map((c) => c[1]);
    const removed = remove.mock.calls.filter((c) => c[0] === 'abort').map((c) => c[1]);
    expect(added.length).toBeGreaterThanOrEqual(2);
    for (const l of added) expect(removed).toContain(l);
  });

  it('stops its timer once the call answered (the signal the call got is never aborted afterwards)', async () => {
    jest.useFakeTimers();
    try {
      const f = failing([]);
      await expect(withRetries(f.fn, options({ timeoutInMs: 1_000 }))).resolves.toBe('done');
      jest.advanceTimersByTime(5_000);
      expect(f.signals[0]?.aborted).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});
