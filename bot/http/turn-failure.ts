import { AuthenticationError } from 'botframework-connector';
import type { Refusal } from './answers';

/**
 * What a failed CloudAdapter.processActivity means for the caller. Before the turn starts, the
 * SDK authenticates: an AuthenticationError with 401/403, or jsonwebtoken's own verify error
 * (a bad signature is rethrown as JsonWebTokenError), is a bad token (401, whatever the library's words); one with 500 ("Failed to load openID config/Keys") or a network error means
 * the signing keys could not be fetched, so nothing was processed and the caller may retry
 * (503 + Retry-After). After the turn started, the turn error boundary has already logged and
 * answered; what still escapes is ours (500, plain sentence).
 */
/** What jsonwebtoken's verify() throws for a token that is bad in itself; the SDK rethrows them as they are. */
const JWT_REFUSALS = new Set(['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError']);

export function classifyTurnFailure(error: unknown, turnStarted: boolean): Refusal & { log: string } {
  if (!turnStarted) {
    const refusedToken = (error instanceof AuthenticationError && (error.statusCode === 401 || error.statusCode === 403)) || (error instanceof Error && JWT_REFUSALS.has(error.name));
    if (refusedToken) {
      return { status: 401, message: 'The Bot Framework token was not accepted (signature, issuer, audience or expiry).', log: 'token refused' };
    }
    return { status: 503, message: 'The bot cannot check Bot Framework tokens right now (signing keys unavailable); nothing was processed. Retry later.', retryAfter: 30, log: 'token check unavailable' };
  }
  return { status: 500, message: 'Something went wrong on the bot\'s side; nothing was changed.', log: 'turn failed after the error boundary' };
}
