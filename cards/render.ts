import type { Template } from 'adaptivecards-templating';
import { lazyPackage } from '../services/lazy-package';

/** Loaded with the first card, not at start-up (services/lazy-package.ts). */
const templating = lazyPackage<typeof import('adaptivecards-templating')>('adaptivecards-templating');

export type AdaptiveCard = Record<string, unknown> & { type: 'AdaptiveCard'; version: string };

/**
 * Expands a template with typed view data. Views are built by the *.card.ts functions, so a
 * template field with no data is a programming error that the card tests catch (the schema test
 * plus the snapshot of every state).
 */
export function renderCard<V extends object>(template: object, view: V): AdaptiveCard {
  return compiled(template).expand({ $root: view }) as AdaptiveCard;
}

/**
 * Compiled templates, one per template object. `new Template()` runs every `${...}` through the
 * adaptive-expressions parser (Template.prepare); that was the largest cost of a card (issue 13).
 * `expand` keeps no state between calls (it resets its context and warnings each time), and it is
 * synchronous, so one compiled template serves every render. Keyed weakly by the template object:
 * the templates are module constants (imported JSON), so this holds one entry per template.
 */
const COMPILED = new WeakMap<object, Template>();

function compiled(template: object): Template {
  let t = COMPILED.get(template);
  if (!t) {
    t = new (templating().Template)(template);
    COMPILED.set(template, t);
  }
  return t;
}

/**
 * Compiles a template now, so that its first render does not pay for it (bot/warm-up.ts: the
 * approval card's compile was ≈ 75 ms, paid by the first Approve click of a burst and every click
 * queued behind it, issue 13).
 */
export function precompile(template: object): void {
  compiled(template);
}

/** Whether a template is compiled already (tests of the warm-up). */
export function isCompiled(template: object): boolean {
  return COMPILED.has(template);
}

/**
 * Card renderers treat `<word>` as an HTML tag and drop it, so placeholders in usage lines are
 * shown with single guillemets instead: `/logs <run>` becomes `/logs ‹run›`.
 */
export function displayUsage(usage: string): string {
  return escapeMarkdown(usage).replace(/<([\w-]+)>/g, '\u2039$1\u203a');
}

/** Markdown in a TextBlock is rendered by Teams; user-provided text must not be able to inject links or formatting. */
export function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+!|~])/g, '\\$1');
}
