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

/** Fashion-MNIST class names in label order (as infra/databricks/src/mlops_training/model.py). */
export const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const PIXELS = 784;
export const MAX_ROWS = 64;

/**
 * The input contract of infra/scoring/score.py, enforced the same way with the same messages
 * (docs/scoring.md): `{"inputs": [[784 numbers from 0.0 to 1.0], ...]}`, 1 to 64 rows, nothing else.
 * A sample that does not fit the model fails here as it fails in Azure. Returns the rows or a reason.
 */
export function parseRows(body: unknown): number[][] | string {
  if (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).join() !== 'inputs') return 'body must be {"inputs": [[784 numbers], ...]}';
  const rows = (body as { inputs: unknown }).inputs;
  if (!Array.isArray(rows) || rows.length < 1 || rows.length > MAX_ROWS) return `"inputs" must be a list of 1 to ${MAX_ROWS} rows`;
  const out: number[][] = [];
  for (const [i, row] of rows.entries()) {
    if (!Array.isArray(row) || row.length !== PIXELS) return `inputs[${i}] must be a list of ${PIXELS} numbers (a 28x28 image, row-major)`;
    const bad: unknown = (row as unknown[]).find((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1);
    if (bad !== undefined) return `inputs[${i}] holds ${JSON.stringify(bad)}: every value must be a number from 0.0 to 1.0`;
    out.push(row as number[]);
  }
  return out;
}

/** One prediction as score.py answers it. */
export function prediction(probabilities: number[]): { class: number; label: string; probabilities: number[] } {
  const k = probabilities.indexOf(Math.max(...probabilities));
  return { class: k, label: CLASSES[k] ?? String(k), probabilities: probabilities.map((p) => Math.round(p * 1e6) / 1e6) };
}
