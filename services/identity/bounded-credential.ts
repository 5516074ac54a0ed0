import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

/**
 * A token request that got no answer in time. `status` 408 makes it transient for
 * credentialFailureIsTransient: the run waits and asks again on its next pass.
 */
export class TokenRequestTimeoutError extends Error {
  override readonly name = 'TokenRequestTimeoutError';
  readonly status = 408;
  constructor(readonly timeoutInMs: number) {
    super(`the token endpoint did not answer within ${timeoutInMs} ms`);
  }
}

/**
 * Bounds every getToken of a credential in time and honours its abort signal.
 *
 * Why: @azure/identity 4.x hands managed identity to MSAL (@azure/msal-node 5), whose request to
 * the App Service token endpoint carries neither a timeout nor the caller's abortSignal. A token
 * endpoint that accepts the connection and never answers held the calling stage, and the run's
 * lock with it, for ever (seen in the fault soak's `timeout` faults). MSAL keeps no shared
 * in-flight request (each acquireToken sends its own), so a later call after a timeout is a fresh
 * request and is not chained to the hung one; the abandoned one is left to the socket.
 */
export class BoundedCredential implements TokenCredential {
  constructor(
    /** The credential that fetches the tokens. */
    readonly inner: TokenCredential,
    readonly timeoutInMs: number,
  ) {}

  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const { inner, timeoutInMs } = this;
    const signal = options?.abortSignal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<AccessToken | null>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = (): void => finish(() => reject(abortError(signal)));
      const timer = setTimeout(() => finish(() => reject(new TokenRequestTimeoutError(timeoutInMs))), timeoutInMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      inner.getToken(scopes, options).then(
        (token) => finish(() => resolve(token)),
        (error: unknown) => finish(() => reject(error instanceof Error ? error : new Error(String(error)))),
      );
    });
  }
}

function abortError(signal: object | undefined): Error {
  // AbortSignalLike (core-auth) does not declare `reason`; a real AbortSignal has it.
  const reason: unknown = signal && 'reason' in signal ? signal.reason : undefined;
  if (reason instanceof Error) return reason;
  const e = new Error('the token request was aborted');
  e.name = 'AbortError';
  return e;
}
