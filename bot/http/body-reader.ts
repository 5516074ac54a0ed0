import type BodyParser from 'body-parser';
import { lazyPackage } from '../../services/lazy-package';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Refusal } from './answers';

/**
 * Reads a JSON body once, through body-parser 2 (expressjs): it decodes gzip, deflate and br with
 * the limit applied to the DECODED bytes (a decompression bomb stops at the limit), checks the
 * charset, and reports every failure as an http-errors object with a status and a type, from
 * which this module makes a plain sentence. Its streams' 'error' events are all handled inside
 * raw-body, so a broken gzip stream is a 400 and never an uncaught exception.
 */
export type BodyResult = { ok: true; body: unknown } | { ok: false; refusal: Refusal; cause: string };

/** Loaded with the first request that has a body, not at start-up (services/lazy-package.ts). */
const bodyParser = lazyPackage<typeof BodyParser>('body-parser');

const ENCODINGS = new Set(['identity', 'gzip', 'x-gzip', 'deflate', 'br']);

export function createJsonBodyReader(limitBytes: number, timeoutMs: number): (req: IncomingMessage, res: ServerResponse) => Promise<BodyResult> {
  let parser: ReturnType<typeof BodyParser.json> | undefined;
  return async (req, res) => {
    const parse = (parser ??= bodyParser().json({ limit: limitBytes, strict: false, type: () => true, inflate: true }));
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (contentType !== 'application/json') {
      return refuse(415, 'Send the body as JSON with Content-Type: application/json.', `content-type ${contentType || 'missing'}`);
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (!ENCODINGS.has(encoding)) return refuse(415, 'This Content-Encoding is not supported; send identity, gzip, deflate or br.', `content-encoding ${encoding}`);
    // Compressed or not, more raw bytes than decoded ones allowed is never needed: refuse before reading.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (Number.isFinite(declared) && declared > limitBytes) return refuse(413, `The body is larger than ${limitBytes} bytes.`, `content-length ${declared}`);
    // A client that trickles its body holds a socket and a parser: cut it off (the socket closes, no answer).
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
    }, timeoutMs);
    const error = await new Promise<unknown>((resolve) => {
      parse(req, res, (err?: unknown) => resolve(err));
    }).finally(() => clearTimeout(timer));
    if (timedOut) return refuse(408, `The body did not arrive within ${timeoutMs} ms.`, 'body timeout');
    if (error) return fromParserError(error, limitBytes, encoding);
    const body = (req as IncomingMessage & { body?: unknown }).body;
    if (body === undefined) return refuse(400, 'The request has no body.', 'empty body');
    return { ok: true, body };
  };
}

function refuse(status: number, message: string, cause: string): BodyResult {
  return { ok: false, refusal: { status, message }, cause };
}

function fromParserError(error: unknown, limitBytes: number, encoding: string): BodyResult {
  const e = error as { status?: number; statusCode?: number; type?: string; message?: string; code?: string };
  const cause = `${e.type ?? e.code ?? 'error'}: ${e.message ?? String(error)}`;
  switch (e.type) {
    case 'entity.too.large':
      return refuse(413, `The body is larger than ${limitBytes} bytes${encoding === 'identity' ? '' : ' once decompressed'}.`, cause);
    case 'encoding.unsupported':
      return refuse(415, 'This Content-Encoding is not supported; send identity, gzip, deflate or br.', cause);
    case 'charset.unsupported':
      return refuse(415, 'Only UTF-8 JSON is accepted.', cause);
    case 'entity.parse.failed':
      return refuse(400, 'The body is not valid JSON.', cause);
    case 'request.aborted':
      return refuse(400, 'The request was aborted before its body arrived.', cause);
    case 'request.size.invalid':
      return refuse(400, 'The body is shorter or longer than its Content-Length.', cause);
    default:
      // zlib errors (Z_DATA_ERROR, Z_BUF_ERROR, ...) arrive wrapped as 400s without a type.
      if (encoding !== 'identity') return refuse(400, `The body is not valid ${encoding} data.`, cause);
      return refuse(400, 'The body could not be read.', cause);
  }
}
