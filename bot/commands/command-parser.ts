/**
 * Turns a chat message into words: the bot's @mention is removed before this runs (see
 * stripMentions); here quotes are honoured, `--flag value`, `--flag=value` and `key=value` are
 * told apart, and the command word is matched with or without its leading slash.
 */
export interface ParsedCommand {
  /** The command word, lower-cased, without the slash. */
  name: string;
  positionals: string[];
  /** `--flag value` / `--flag=value` / bare `--flag` (true). Names lower-cased. */
  flags: Map<string, string | true>;
  /** `key=value` pairs, in order, names as typed. */
  params: Map<string, string>;
}

export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseError';
  }
}

/** Splits on whitespace outside quotes; "…", '…' and Teams' curly quotes all count. */
export function tokenize(input: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: string | undefined;
  let inToken = false;
  const closing: Record<string, string> = { '"': '"', "'": "'", '\u201c': '\u201d', '\u2018': '\u2019' };
  for (const ch of input) {
    if (quote) {
      if (ch === closing[quote] || (quote === '\u201c' && ch === '"')) quote = undefined;
      else current += ch;
      continue;
    }
    if (ch in closing) {
      quote = ch;
      inToken = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
      continue;
    }
    current += ch;
    inToken = true;
  }
  if (quote) throw new ParseError('a quote is not closed');
  if (inToken) tokens.push(current);
  return tokens;
}

/** Decodes the HTML entities Teams puts in message text and drops markup it may add. */
export function normalizeText(text: string): string {
  return text
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\u00a0/g, ' ')
    .trim();
}

const FLAG = /^--([A-Za-z][\w-]*)(?:=(.*))?$/s;
const PARAM = /^([A-Za-z_][\w.-]*)=(.*)$/s;

/**
 * `booleanFlags` names the flags that take no value, so `--dry-run model` does not swallow
 * `model` as the flag's value.
 */
export function parseCommand(text: string, booleanFlags: ReadonlySet<string> = new Set()): ParsedCommand | undefined {
  const tokens = tokenize(normalizeText(text));
  const first = tokens.shift();
  if (first === undefined) return undefined;
  const name = first.replace(/^\//, '').toLowerCase();
  if (name === '') return undefined;
  const parsed: ParsedCommand = { name, positionals: [], flags: new Map(), params: new Map() };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] ?? '';
    const flag = FLAG.exec(tok);
    if (flag) {
      const flagName = (flag[1] ?? '').toLowerCase();
      if (parsed.flags.has(flagName)) throw new ParseError(`--${flagName} is given twice`);
      if (flag[2] !== undefined) parsed.flags.set(flagName, flag[2]);
      else if (booleanFlags.has(flagName)) parsed.flags.set(flagName, true);
      else {
        const next = tokens[i + 1];
        if (next === undefined || next.startsWith('--')) throw new ParseError(`--${flagName} needs a value`);
        parsed.flags.set(flagName, next);
        i++;
      }
      continue;
    }
    const param = PARAM.exec(tok);
    if (param) {
      const key = param[1] ?? '';
      if (parsed.params.has(key)) throw new ParseError(`${key} is given twice`);
      parsed.params.set(key, param[2] ?? '');
      continue;
    }
    parsed.positionals.push(tok);
  }
  return parsed;
}

/** Closest command by edit distance (a prefix counts as an exact hit), for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c);
    const score = c.startsWith(word.toLowerCase()) && word.length >= 2 ? 0 : d;
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  // Always the nearest one: the answer to unknown input is a suggestion plus /help, never an action.
  return best;
}

export function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] ?? 0;
      prev[j] = Math.min((prev[j] ?? 0) + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] ?? 0;
}
