import { z } from 'zod';

/** Shared argument shapes, so every command validates the same word the same way. */
export const modelName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a model name is lower-case letters, digits and dashes');
/** `r-42`, `R-42` or `42`, always returned as `r-42`. */
export const runId = z
  .string()
  .regex(/^(r-)?\d{1,12}$/i, 'a run id looks like r-42')
  .transform((v) => `r-${v.replace(/^r-/i, '')}`);
export const gitRef = z.string().regex(/^(?!.*\.\.)(?!\/)[\w./-]{1,200}$/, 'a branch name such as main or feature/x');
export const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
export const noFlags = z.object({}).strict();
export const noParams = z.record(z.string(), z.string());
