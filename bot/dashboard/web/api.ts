/**
 * The dashboard's calls to the bot: every request carries a fresh SSO token from Teams
 * (`authentication.getAuthToken`; Teams caches it, the docs say not to cache it in the page),
 * and reads are revalidated with the ETag the bot sent (304 costs no parsing).
 */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly reference?: string) {
    super(message);
  }
}

export class Api {
  private readonly etags = new Map<string, { etag: string; body: unknown }>();

  constructor(private readonly token: () => Promise<string>) {}

  async get<T>(path: string): Promise<T> {
    const seen = this.etags.get(path);
    const res = await fetch(path, { headers: { authorization: `Bearer ${await this.token()}`, ...(seen ? { 'if-none-match': seen.etag } : {}) } });
    if (res.status === 304 && seen) return seen.body as T;
    const body = await readJson(res);
    const etag = res.headers.get('etag');
    if (etag) this.etags.set(path, { etag, body });
    return body as T;
  }

  async post<T>(path: string, payload: unknown): Promise<T> {
    const res = await fetch(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${await this.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    return (await readJson(res)) as T;
  }
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(res.status, `The bot answered ${res.status} with something that is not JSON.`);
  }
  if (!res.ok) {
    const b = body as { error?: string; reference?: string } | undefined;
    throw new ApiError(res.status, b?.error ?? `The bot answered ${res.status}.`, b?.reference);
  }
  return body;
}
