/** `--key value` pairs and `key=value` items of task parameters, keys with `_` for `-`. */
export function parseTaskParameters(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < list.length; i++) {
    const item = list[i] ?? '';
    const eq = /^(?:--)?([A-Za-z][\w-]*)=(.*)$/.exec(item);
    if (eq?.[1] !== undefined) out[eq[1].replace(/-/g, '_')] = eq[2] ?? '';
    else if (item.startsWith('--')) {
      const next = list[i + 1];
      const key = item.slice(2).replace(/-/g, '_');
      if (next !== undefined && !next.startsWith('--')) {
        out[key] = next;
        i++;
      } else out[key] = 'true';
    }
  }
  return out;
}
