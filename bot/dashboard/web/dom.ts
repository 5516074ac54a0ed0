/** Small DOM helpers: every text goes in through textContent (never innerHTML), so nothing from the API is markup. */
type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== undefined && c !== false) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

export function replace(target: HTMLElement, ...children: Child[]): void {
  target.replaceChildren(...children.filter((c): c is Node | string => c !== undefined && c !== false));
}

export function when(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(document.documentElement.lang || undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function statusText(status: string): string {
  return status === 'waiting_approval' ? 'waiting for approval' : status;
}

/** A time in a named time zone, with the zone's name (a schedule's next run, as /schedule words it). */
export function whenIn(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  try {
    return `${d.toLocaleString(document.documentElement.lang || undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone })} ${timeZone}`;
  } catch {
    // A zone this browser does not know: the local time says the same instant.
    return when(iso);
  }
}
