import { ParseError, closest, parseCommand } from './command-parser';
import type { AnyCommandSpec, CommandContext, CommandInput, CommandReply } from './command-spec';

export type Resolution =
  | { kind: 'empty' }
  | { kind: 'unknown'; word: string; suggestion: string | undefined }
  | { kind: 'invalid'; spec: AnyCommandSpec | undefined; problems: string[] }
  | { kind: 'ok'; spec: AnyCommandSpec; args: unknown };

/**
 * All commands, matched exactly by id. Duplicates are refused at registration; help is generated
 * from the specs; unknown words get a suggestion and nothing else.
 */
export class CommandRegistry {
  private readonly byId = new Map<string, AnyCommandSpec>();

  constructor(specs: readonly AnyCommandSpec[] = []) {
    for (const s of specs) this.register(s);
  }

  register(spec: AnyCommandSpec): this {
    if (!/^[a-z][a-z-]*$/.test(spec.id)) throw new Error(`command id "${spec.id}" must be lower-case letters and dashes`);
    if (this.byId.has(spec.id)) throw new Error(`command "${spec.id}" is registered twice`);
    this.byId.set(spec.id, spec);
    return this;
  }

  specs(): readonly AnyCommandSpec[] {
    return [...this.byId.values()];
  }

  get(id: string): AnyCommandSpec | undefined {
    return this.byId.get(id.replace(/^\//, '').toLowerCase());
  }

  resolve(text: string): Resolution {
    let parsed;
    const word = text.trim().split(/\s+/)[0]?.replace(/^\//, '').toLowerCase() ?? '';
    const spec0 = this.byId.get(word);
    try {
      const booleans = new Set(Object.entries(spec0?.flags ?? {}).filter(([, f]) => f.boolean).map(([k]) => k));
      parsed = parseCommand(text, booleans);
    } catch (e) {
      if (e instanceof ParseError) return { kind: 'invalid', spec: spec0, problems: [e.message] };
      throw e;
    }
    if (!parsed) return { kind: 'empty' };
    const spec = this.byId.get(parsed.name);
    if (!spec) return { kind: 'unknown', word: parsed.name, suggestion: closest(parsed.name, [...this.byId.keys()]) };

    const problems: string[] = [];
    for (const f of parsed.flags.keys()) {
      if (!(f in spec.flags)) problems.push(`--${f} is not an option of /${spec.id}`);
    }
    for (const [f, v] of parsed.flags) {
      const fs = spec.flags[f];
      if (fs && !fs.boolean && v === true) problems.push(`--${f} needs a value`);
    }
    if (parsed.params.size > 0 && !spec.params) problems.push(`/${spec.id} takes no key=value settings (got ${[...parsed.params.keys()].join(', ')})`);
    if (parsed.positionals.length > spec.positionals.length) {
      problems.push(`unexpected ${parsed.positionals.slice(spec.positionals.length).map((p) => `"${p}"`).join(' ')}`);
    }
    spec.positionals.forEach((p, i) => {
      if (p.required && parsed.positionals[i] === undefined) problems.push(`<${p.name}> is required`);
    });
    if (problems.length) return { kind: 'invalid', spec, problems };

    const input: CommandInput = {
      positionals: Object.fromEntries(spec.positionals.map((p, i) => [p.name, parsed.positionals[i]])),
      flags: Object.fromEntries(parsed.flags),
      params: Object.fromEntries(parsed.params),
    };
    const result = spec.args.safeParse(input);
    if (!result.success) {
      return { kind: 'invalid', spec, problems: result.error.issues.map((i) => `${i.path.filter((p) => p !== 'positionals' && p !== 'flags' && p !== 'params').map(String).join('.') || 'input'}: ${i.message}`) };
    }
    return { kind: 'ok', spec, args: result.data };
  }

  /**
   * Resolves and runs one message. Roles are not checked here: the run engine checks the user's
   * role for the model of each action, at execution time, and the command words its refusal.
   */
  async execute(text: string, ctx: CommandContext): Promise<CommandReply> {
    const r = this.resolve(text);
    switch (r.kind) {
      case 'empty':
        return { kind: 'text', text: 'Type **/help** to see what I can do.' };
      case 'unknown':
        return {
          kind: 'text',
          text: r.suggestion
            ? `I don't know the command "${r.word}". Did you mean **/${r.suggestion}**? Type **/help ${r.suggestion}** for its usage, or **/help** for all commands.`
            : `I don't know the command "${r.word}". Type **/help** to see the commands.`,
        };
      case 'invalid':
        return {
          kind: 'text',
          text: `${r.problems.map((p) => `• ${p}`).join('\n\n')}${r.spec ? `\n\nUsage: \`${r.spec.usage}\` (see **/help ${r.spec.id}**)` : ''}`,
        };
      case 'ok':
        return r.spec.run(r.args, ctx);
    }
  }
}
