/**
 * Checks that every reference inside an ARM template's expressions resolves: parameters('x') and
 * variables('x') name a declared parameter / variable; resourceId('Type', name) and the `scope`
 * form format('Type/{0}', name) name a resource the template declares (same type, same name
 * expression), except the types deployed elsewhere listed in EXTERNAL; reference(...) and dependsOn
 * point at such a resource id. A small parser of ARM expression calls (balanced parentheses, quoted
 * strings with '' escapes) is enough for the template language's function-call syntax.
 */
type Json = Record<string, unknown>;
interface Template { parameters?: Json; variables?: Json; resources: Array<Json & { type: string; name: string }>; outputs?: Json }
export interface Call { fn: string; args: string[] }

/** Types a template may name without declaring them (built-ins, or not deployable from a resource group). */
const EXTERNAL = new Set(['Microsoft.Authorization/roleDefinitions', 'Microsoft.Resources/resourceGroups']);

export function calls(expr: string): Call[] {
  const out: Call[] = [];
  for (let i = 0; i < expr.length; i++) {
    if (expr[i] === "'") {
      i = skipString(expr, i);
      continue;
    }
    const m = /^[A-Za-z_][\w]*\(/.exec(expr.slice(i));
    if (!m || (i > 0 && /[\w.]/.test(expr[i - 1] ?? ''))) continue;
    const open = i + m[0].length - 1;
    const close = matching(expr, open);
    out.push({ fn: m[0].slice(0, -1), args: splitArgs(expr.slice(open + 1, close)) });
  }
  return out;
}

function skipString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === "'") {
      if (s[j + 1] === "'") j++;
      else return j;
    }
  }
  throw new Error(`unterminated string in ${s}`);
}

function matching(s: string, open: number): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    if (s[j] === "'") j = skipString(s, j);
    else if (s[j] === '(') depth++;
    else if (s[j] === ')' && --depth === 0) return j;
  }
  throw new Error(`unbalanced parentheses in ${s}`);
}

function splitArgs(s: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let j = 0; j < s.length; j++) {
    if (s[j] === "'") j = skipString(s, j);
    else if (s[j] === '(' || s[j] === '[') depth++;
    else if (s[j] === ')' || s[j] === ']') depth--;
    else if (s[j] === ',' && depth === 0) {
      args.push(s.slice(start, j).trim());
      start = j + 1;
    }
  }
  if (s.trim() !== '') args.push(s.slice(start).trim());
  return args;
}

const literal = (a: string | undefined): string | undefined => (a && /^'.*'$/s.test(a) ? a.slice(1, -1).replace(/''/g, "'") : undefined);
const inner = (v: unknown): string | undefined => (typeof v === 'string' && v.startsWith('[') && !v.startsWith('[[') ? v.slice(1, -1) : undefined);

/** Every expression string in the template with where it is. */
function expressions(node: unknown, path: string, out: Array<{ path: string; expr: string }>): void {
  const e = inner(node);
  if (e !== undefined) out.push({ path, expr: e });
  else if (Array.isArray(node)) node.forEach((n, i) => expressions(n, `${path}[${i}]`, out));
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) expressions(v, `${path}.${k}`, out);
}

/** Problems found; an empty list means every reference resolves. */
export function unresolvedReferences(t: Template): string[] {
  const problems: string[] = [];
  const params = new Set(Object.keys(t.parameters ?? {}));
  const vars = t.variables ?? {};
  const declared = new Set(t.resources.map((r) => `${r.type}|${inner(r.name) ?? `'${r.name}'`}`));
  const resolvesTo = (type: string | undefined, name: string | undefined): boolean => !!type && (EXTERNAL.has(type) || declared.has(`${type}|${name ?? ''}`));
  const isResourceRef = (arg: string | undefined): boolean => {
    const [c] = calls(arg ?? '');
    if (!c) return false;
    if (c.fn === 'resourceId') return true; // checked on its own below
    if (c.fn === 'variables') {
      const value = vars[literal(c.args[0]) ?? ''];
      return typeof value === 'string' && value.startsWith("[resourceId(");
    }
    return c.fn === 'parameters'; // an id passed in: the caller's resource
  };
  const found: Array<{ path: string; expr: string }> = [];
  expressions(t, '$', found);
  for (const { path, expr } of found) {
    for (const c of calls(expr)) {
      const first = literal(c.args[0]);
      if (c.fn === 'parameters' && !params.has(first ?? '')) problems.push(`${path}: parameters('${first}') is not declared`);
      if (c.fn === 'variables' && !Object.prototype.hasOwnProperty.call(vars, first ?? '')) problems.push(`${path}: variables('${first}') is not declared`);
      if (c.fn === 'resourceId' && !resolvesTo(first, c.args.slice(1).join('/'))) problems.push(`${path}: resourceId('${first}', ${c.args.slice(1).join(', ')}) is no resource of the template`);
      if (c.fn === 'subscriptionResourceId' && !EXTERNAL.has(first ?? '')) problems.push(`${path}: subscriptionResourceId('${first}') names a type the template does not handle`);
      if (c.fn === 'reference' && !isResourceRef(c.args[0])) problems.push(`${path}: reference(${c.args[0]}) is not a resource id of the template`);
    }
    if (/\.scope$/.test(path)) {
      const [f] = calls(expr);
      const type = literal(f?.args[0])?.replace(/\/\{0\}$/, '');
      if (f?.fn !== 'format' || !resolvesTo(type, f.args[1])) problems.push(`${path}: scope ${expr} is no resource of the template`);
    }
    if (/\.dependsOn\[\d+\]$/.test(path) && !isResourceRef(expr)) problems.push(`${path}: dependsOn ${expr} is not a resource id`);
  }
  return problems;
}
