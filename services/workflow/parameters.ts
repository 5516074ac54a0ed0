import type { ParameterSpec } from '../config/mlops-config.schema';
import type { ParamValue } from './run.types';

/**
 * Validates `key=value` training parameters against a model's declarations (types, bounds,
 * required, enum values) and fills in defaults. Pure: the /train command and the card form
 * submission both call it, so both refuse the same input the same way.
 */
export function validateParameters(
  declared: Readonly<Record<string, ParameterSpec>>,
  given: Readonly<Record<string, string | number | boolean | undefined>>,
): { ok: true; values: Record<string, ParamValue> } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const values: Record<string, ParamValue> = {};
  for (const key of Object.keys(given)) {
    if (!(key in declared)) {
      const known = Object.keys(declared);
      errors[key] = `${key} is not a parameter of this model${known.length ? ` (it takes ${known.join(', ')})` : ''}`;
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    const raw = given[name];
    if (raw === undefined || raw === '') {
      if (spec.default !== undefined) values[name] = spec.default;
      else if (spec.required) errors[name] = `${name} is required`;
      continue;
    }
    const text = String(raw).trim();
    switch (spec.type) {
      case 'number':
      case 'integer': {
        const n = Number(text);
        if (text === '' || !Number.isFinite(n)) errors[name] = `${name} must be a number`;
        else if (spec.type === 'integer' && !Number.isInteger(n)) errors[name] = `${name} must be a whole number`;
        else if (spec.min !== undefined && n < spec.min) errors[name] = `${name} must be at least ${spec.min}`;
        else if (spec.max !== undefined && n > spec.max) errors[name] = `${name} must be at most ${spec.max}`;
        else values[name] = n;
        break;
      }
      case 'boolean':
        if (/^(true|yes|1|on)$/i.test(text)) values[name] = true;
        else if (/^(false|no|0|off)$/i.test(text)) values[name] = false;
        else errors[name] = `${name} must be true or false`;
        break;
      case 'enum':
        if (spec.values.includes(text)) values[name] = text;
        else errors[name] = `${name} must be one of ${spec.values.join(', ')}`;
        break;
      case 'string':
        if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`).test(text)) errors[name] = `${name} does not match ${spec.pattern}`;
        else if (text.length > 500) errors[name] = `${name} is longer than 500 characters`;
        else values[name] = text;
        break;
    }
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, values };
}
