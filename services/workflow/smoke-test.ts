/** POSTs the configured sample to a scoring URI and measures status and latency (a real request). */
export async function postSample(url: string, sample: unknown, timeoutMs: number): Promise<{ status: number; latencyMs: number; body: string }> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(sample),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.text();
  return { status: res.status, latencyMs: Math.round(performance.now() - started), body: body.slice(0, 10_000) };
}
