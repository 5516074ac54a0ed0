/**
 * Whether a credential's failure is the token endpoint being throttled or unavailable (worth
 * trying again on the next pass) rather than a refusal (no identity, wrong header, no access),
 * which no retry fixes. @azure/identity wraps MSAL's error in CredentialUnavailableError, whose
 * `cause` is MSAL's ServerError with the endpoint's HTTP `status` (seen against the sandbox's
 * App Service identity endpoint answering 429; MSAL has already retried by then).
 */
export function credentialFailureIsTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const status = (e as { status?: unknown; statusCode?: unknown }).status ?? (e as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status > 0) return status === 429 || status === 408 || status >= 500;
  }
  return false;
}
