import type { ParameterSpec } from '../../services/config/mlops-config.schema';
import { validateParameters } from '../../services/workflow/parameters';

/** Each rule of the training-parameter check, one at a time (the /train command and the card form share it). */
const spec = (s: Partial<ParameterSpec> & { type: ParameterSpec['type'] }): ParameterSpec => ({ required: false, description: '', ...s }) as ParameterSpec;
const errorsOf = (declared: Record<string, ParameterSpec>, given: Record<string, string | number | boolean | undefined>): Record<string, string> => {
  const r = validateParameters(declared, given);
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.values)}`);
  return r.errors;
};
const valuesOf = (declared: Record<string, ParameterSpec>, given: Record<string, string | number | boolean | undefined>): Record<string, unknown> => {
  const r = validateParameters(declared, given);
  if (!r.ok) throw new Error(`expected values, got ${JSON.stringify(r.errors)}`);
  return r.values;
};

describe('training parameters', () => {
  it('refuses an undeclared parameter and names the ones the model takes', () => {
    expect(errorsOf({ lr: spec({ type: 'number' }), epochs: spec({ type: 'integer' }) }, { batch: '3' })).toEqual({ batch: 'batch is not a parameter of this model (it takes lr, epochs)' });
    expect(errorsOf({}, { batch: '3' })).toEqual({ batch: 'batch is not a parameter of this model' });
  });

  it('fills in a default for a missing or empty value, requires a required one, and leaves an optional one out', () => {
    const declared = { lr: spec({ type: 'number', default: 0.1 }), name: spec({ type: 'string', required: true }), note: spec({ type: 'string' }) };
    expect(valuesOf(declared, { name: 'x' })).toEqual({ lr: 0.1, name: 'x' });
    expect(valuesOf(declared, { lr: '', name: 'x' })).toEqual({ lr: 0.1, name: 'x' });
    expect(errorsOf(declared, { name: '' })).toEqual({ name: 'name is required' });
    expect(errorsOf(declared, {})).toEqual({ name: 'name is required' });
    // A default wins over "required": the value is there.
    expect(valuesOf({ n: spec({ type: 'integer', default: 3, required: true }) }, {})).toEqual({ n: 3 });
  });

  it('reads numbers (trimmed), refuses text and blanks, and checks whole numbers and both bounds', () => {
    const declared = { lr: spec({ type: 'number', min: 0.001, max: 1 }), epochs: spec({ type: 'integer', min: 1, max: 50 }) };
    expect(valuesOf(declared, { lr: ' 0.5 ', epochs: '50' })).toEqual({ lr: 0.5, epochs: 50 });
    expect(valuesOf(declared, { lr: '0.001', epochs: 1 })).toEqual({ lr: 0.001, epochs: 1 });
    expect(errorsOf(declared, { lr: 'fast', epochs: '   ' })).toEqual({ lr: 'lr must be a number', epochs: 'epochs must be a number' });
    expect(errorsOf(declared, { lr: 'Infinity', epochs: '2.5' })).toEqual({ lr: 'lr must be a number', epochs: 'epochs must be a whole number' });
    expect(errorsOf(declared, { lr: '0.0009', epochs: '0' })).toEqual({ lr: 'lr must be at least 0.001', epochs: 'epochs must be at least 1' });
    expect(errorsOf(declared, { lr: '1.01', epochs: '51' })).toEqual({ lr: 'lr must be at most 1', epochs: 'epochs must be at most 50' });
    // A number type takes fractions; without bounds any finite value goes.
    expect(valuesOf({ x: spec({ type: 'number' }) }, { x: '-2.5' })).toEqual({ x: -2.5 });
  });

  it('reads booleans in their usual spellings, any case, and nothing else', () => {
    const declared = { aug: spec({ type: 'boolean' }) };
    for (const t of ['true', 'YES', '1', 'On']) expect(valuesOf(declared, { aug: t })).toEqual({ aug: true });
    for (const f of ['false', 'No', '0', 'OFF']) expect(valuesOf(declared, { aug: f })).toEqual({ aug: false });
    expect(valuesOf(declared, { aug: true })).toEqual({ aug: true });
    for (const bad of ['maybe', 'truex', 'xtrue', 'offf', 'no way', '10', 'xoff', 'so no']) expect(errorsOf(declared, { aug: bad })).toEqual({ aug: 'aug must be true or false' });
  });

  it('takes an enum value only from its list', () => {
    const declared = { opt: spec({ type: 'enum', values: ['adam', 'sgd'] }) };
    expect(valuesOf(declared, { opt: ' sgd ' })).toEqual({ opt: 'sgd' });
    expect(errorsOf(declared, { opt: 'Adam' })).toEqual({ opt: 'opt must be one of adam, sgd' });
  });

  it('matches a string pattern against the whole value, and caps the length at 500', () => {
    const declared = { tag: spec({ type: 'string', pattern: '[a-z]+|v[0-9]' }), free: spec({ type: 'string' }) };
    expect(valuesOf(declared, { tag: 'abc', free: 'x'.repeat(500) })).toEqual({ tag: 'abc', free: 'x'.repeat(500) });
    expect(valuesOf(declared, { tag: 'v1' })).toEqual({ tag: 'v1' });
    // Anchored around the alternation: neither a prefix nor a suffix match is enough.
    expect(errorsOf(declared, { tag: 'abc1' })).toEqual({ tag: 'tag does not match [a-z]+|v[0-9]' });
    expect(errorsOf(declared, { tag: '1v1' })).toEqual({ tag: 'tag does not match [a-z]+|v[0-9]' });
    expect(errorsOf(declared, { free: 'x'.repeat(501) })).toEqual({ free: 'free is longer than 500 characters' });
  });

  it('reports every bad parameter at once, not only the first', () => {
    const declared = { lr: spec({ type: 'number' }), aug: spec({ type: 'boolean' }) };
    expect(errorsOf(declared, { lr: 'x', aug: 'x', extra: '1' })).toEqual({ extra: expect.any(String) as string, lr: 'lr must be a number', aug: 'aug must be true or false' });
  });
});
