// Helpers the card builders share: safe inline text, URLs, mentions, status icons, metric
// formatting and the card size budget. Pure functions, no I/O.
import type { MetricSeries, PersonView, RunStatus, StageState } from './views';
import { escapeMarkdown } from './render';

/** Markdown specials, plus `<tag>`-like text (renderers drop it; `<at>` would forge a mention). */
function neutralize(text: string): string {
  return escapeMarkdown(text)
    .replace(/<(\/?[A-Za-z][^<>]*)>/g, '\u2039$1\u203a')
    .replace(/^(\s*)([-=>])(?=\s|$)/, '$1\\$2')
    .replace(/^(\s*)(\d+)\.(?=\s|$)/, '$1$2\\.');
}

/** One line of user- or system-provided text, clipped to `max` characters and made inert. */
export function inlineText(text: string, max = 200): string {
  return neutralize(clip(text.replace(/\s+/g, ' ').trim(), max));
}

/**
 * One line for a field that is not Markdown (an input's label, placeholder or error message, a
 * choice's title): clients show it verbatim, so a Markdown escape would show as a backslash
 * ("batch\\_size"). Tag-like text is still defused.
 */
export function plainText(text: string, max = 200): string {
  return clip(text.replace(/\s+/g, ' ').trim(), max).replace(/<(\/?[A-Za-z][^<>]*)>/g, '\u2039$1\u203a');
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}\u2026`;
}

/** Only http(s) links reach a card; parentheses are encoded so they cannot end a Markdown link. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    return u.href.replace(/\(/g, '%28').replace(/\)/g, '%29');
  } catch {
    return undefined;
  }
}

export interface MentionEntity {
  type: 'mention';
  text: string;
  mentioned: { id: string; name: string };
}

/**
 * How a person appears in card text. With an MRI: `<at>Name</at>` plus the entity whose `text`
 * is that exact string (Teams requires the match); the name inside is made inert the same way.
 */
export function personText(person: PersonView): { text: string; entity?: MentionEntity } {
  const name = inlineText(person.name, 80);
  if (!person.mri) return { text: name };
  const text = `<at>${name}</at>`;
  return { text, entity: { type: 'mention', text, mentioned: { id: person.mri, name: clip(person.name, 80) } } };
}

export const STAGE_ICON: Record<StageState, string> = {
  pending: '\u25cb', // ○
  queued: '\u23f8\ufe0f', // ⏸
  running: '\u23f3', // ⏳
  waiting: '\u270b', // ✋
  succeeded: '\u2705', // ✅
  failed: '\u274c', // ❌
  skipped: '\u23ed\ufe0f', // ⏭
  canceled: '\u26d4', // ⛔
  expired: '\u231b', // ⌛
};

export const STATUS_BADGE: Record<RunStatus, { text: string; color: 'Accent' | 'Warning' | 'Good' | 'Attention' | 'Default' }> = {
  running: { text: '\u23f3 Running', color: 'Accent' },
  waiting_approval: { text: '\u270b Waiting for approval', color: 'Warning' },
  succeeded: { text: '\u2705 Succeeded', color: 'Good' },
  failed: { text: '\u274c Failed', color: 'Attention' },
  canceled: { text: '\u26d4 Canceled', color: 'Default' },
  expired: { text: '\u231b Expired', color: 'Default' },
};

export function metricGoal(name: string, goal?: 'min' | 'max'): 'min' | 'max' {
  return goal ?? (/loss|err|mse|mae|rmse|perplexity|latency/i.test(name) ? 'min' : 'max');
}

/** Four significant digits, no exponent for ordinary values. */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** At most `max` points, evenly spaced, always keeping the first and the last. */
export function downsample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  if (max <= 1) return points.slice(-1);
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))] as T);
  return out;
}

const BARS = '\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588';

/** A text sparkline (▁▂▃▅▇) of up to `width` points: Chart.Line does not validate against AC 1.5. */
export function sparkline(values: readonly number[], width = 24): string {
  const v = downsample(values.filter(Number.isFinite), width);
  if (v.length < 2) return '';
  const lo = Math.min(...v);
  const span = Math.max(...v) - lo || 1;
  return v.map((x) => BARS[Math.round(((x - lo) / span) * (BARS.length - 1))] ?? '').join('');
}

export const CARD_BUDGET_BYTES = 40_000;

/** Teams measures the payload in UTF-16. */
export function cardSizeBytes(card: unknown): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf16le');
}

/** The parts of a view that can shrink without losing meaning: log lines first, then metric points. */
export interface TrimmableView {
  logLines?: readonly string[];
  omittedLogLines?: number;
  metrics?: readonly MetricSeries[];
}

/**
 * Builds the card and, while it exceeds the budget, shrinks the view: keeps the last half of the
 * log lines (counting the dropped ones as omitted), then halves the points of every metric series
 * (evenly, keeping first and last), then drops the metrics. Throws only if the card is still too
 * large with neither, which means a builder lets some other text grow unbounded.
 */
export function trimToBudget<V extends TrimmableView, C>(view: V, build: (view: V) => C, budget = CARD_BUDGET_BYTES): C {
  let current = view;
  for (;;) {
    const card = build(current);
    const size = cardSizeBytes(card);
    if (size <= budget) return card;
    const logs = current.logLines ?? [];
    const longest = Math.max(0, ...(current.metrics ?? []).map((m) => m.points.length));
    if (logs.length > 0) {
      const keep = Math.floor(logs.length / 2);
      current = { ...current, logLines: logs.slice(logs.length - keep), omittedLogLines: (current.omittedLogLines ?? 0) + logs.length - keep };
    } else if (longest > 2) {
      current = { ...current, metrics: current.metrics?.map((m) => ({ ...m, points: downsample(m.points, Math.ceil(longest / 2)) })) };
    } else if ((current.metrics ?? []).length > 0) {
      current = { ...current, metrics: [] };
    } else {
      throw new Error(`card is ${size} bytes (UTF-16), over the ${budget}-byte budget, with no logs or metrics left to trim`);
    }
  }
}
