import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The official Adaptive Card 1.5 schema (copied into test/fixtures), compiled once per test file. */
let validate: ReturnType<Ajv['compile']> | undefined;

export function validateCard(card: unknown): string[] {
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
