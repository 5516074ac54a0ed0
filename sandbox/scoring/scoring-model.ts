/**
 * The model a sandbox "container" serves: softmax over a fixed linear layer. Weights are a pure
 * function of (class, feature, seed), so any input length works and the same image always gives
 * the same predictions; a different seed (another model version) gives different ones, which
 * lets tests tell two deployed versions apart.
 */
export const NUM_CLASSES = 10;

export function weight(k: number, i: number, seed: number): number {
  return Math.sin((k + 1) * 0.7 + (i + 1) * 0.13 + seed * 1.1) * 0.5;
}

export function predict(row: readonly number[], seed: number): number[] {
  const logits: number[] = [];
  for (let k = 0; k < NUM_CLASSES; k++) {
    let z = Math.cos(k + seed) * 0.1; // bias
    row.forEach((x, i) => (z += weight(k, i, seed) * x));
    logits.push(z);
  }
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** A stable seed for an image reference and model version (FNV-1a of the text). */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % 1000) / 100;
}

/**
 * The input shapes the scoring server accepts, as MLflow's and Azure ML's scoring servers do:
 * `{"inputs": [[...]]}`, `{"instances": [[...]]}`, `{"data": [[...]]}`, or
 * `{"dataframe_split": {"data": [[...]]}}`. Returns the rows or a reason.
 */
export function parseRows(body: unknown): number[][] | string {
  if (!body || typeof body !== 'object') return 'the body must be a JSON object';
  const b = body as Record<string, unknown>;
  const split = b.dataframe_split as { data?: unknown } | undefined;
  const rows = b.inputs ?? b.instances ?? b.data ?? split?.data;
  if (!Array.isArray(rows) || rows.length === 0) return 'expected a non-empty "inputs" array of numeric rows';
  const out: number[][] = [];
  for (const r of rows) {
    const row = Array.isArray(r) ? r.flat(3) : [r];
    if (!row.every((x) => typeof x === 'number' && Number.isFinite(x))) return 'every input value must be a finite number';
    out.push(row as number[]);
  }
  return out;
}
