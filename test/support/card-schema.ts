import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The official Adaptive Card 1.5 schema (copied into test/fixtures), compiled once per test file. */
let validate: ReturnType<Ajv['compile']> | undefined;

/** Element types of Adaptive Cards 1.5: a 1.5 renderer replaces any other element by its fallback. */
const ELEMENTS_1_5 = new Set([
  'TextBlock', 'Image', 'Media', 'RichTextBlock', 'TextRun', 'Container', 'ColumnSet', 'Column', 'FactSet', 'ImageSet', 'ActionSet', 'Table', 'TableRow', 'TableCell',
  'Input.Text', 'Input.Number', 'Input.Date', 'Input.Time', 'Input.Toggle', 'Input.ChoiceSet',
]);

/**
 * The card as a 1.5 renderer sees it: elements newer than 1.5 (Teams' Chart.Line) are replaced by
 * their `fallback` (or dropped with "drop"), which is how Adaptive Cards stay renderable on older
 * hosts. An unknown element without a fallback stays and fails the schema, as it should.
 */
export function asSeenBy15(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(asSeenBy15).filter((n) => n !== DROP);
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  if (typeof o.type === 'string' && !o.type.startsWith('Action.') && o.type !== 'AdaptiveCard' && !ELEMENTS_1_5.has(o.type) && 'fallback' in o) {
    return o.fallback === 'drop' ? DROP : asSeenBy15(o.fallback);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, asSeenBy15(v)]));
}
const DROP = Symbol('drop');

export function validateCard(card: unknown): string[] {
  card = asSeenBy15(card);
  if (!validate) {
    const schema = JSON.parse(readFileSync(join(__dirname, '../fixtures/schemas/adaptive-cards/1.5.0/adaptive-card.json'), 'utf8')) as Record<string, unknown>;
    schema.$id = schema.id;
    delete schema.id;
    delete schema.$schema;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    validate = ajv.compile(schema);
  }
  if (validate(card)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/** Teams measures the message payload in UTF-16; we budget 40 KB per card. */
export function cardSizeBytes(card: unknown): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf16le');
}
