import { z } from 'zod';

/**
 * Deployment environments of a model (docs/configuration.md, "Environments"): an ordered list a
 * version goes through, e.g. staging then production. Each has its own container group, resource
 * group, size, smoke test, approval policy and, optionally, its own trainers/approvers.
 */
const durationRe = /^(\d+)\s*(s|m|h|d)$/;
export const duration = z
  .string()
  .regex(durationRe, 'a duration such as 30m, 24h or 7d')
  .transform((v) => {
    const m = durationRe.exec(v);
    const n = Number(m?.[1]);
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m?.[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
    return n * unit;
  });

export const approvalPolicy = z.object({
  required: z.number().int().min(1).max(10).default(1),
  expiresAfter: duration.default(24 * 3_600_000),
});
export const approvalSchema = z.union([z.literal('none'), approvalPolicy]);
export type ApprovalPolicy = z.infer<typeof approvalSchema>;

export const containerGroupName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'an ACI container group name: lower-case letters, digits, dashes');

export const deploymentSchema = z.object({
  containerGroup: containerGroupName,
  cpu: z.number().positive().max(4).default(1),
  memoryInGB: z.number().positive().max(16).default(1.5),
  port: z.number().int().min(1).max(65535).default(5001),
  dnsLabel: z.string().optional(),
});

export const smokeTestSchema = z.object({
  sample: z.unknown(),
  maxLatencyMs: z.number().int().positive().default(2000),
});
export type SmokeTestConfig = z.infer<typeof smokeTestSchema>;

export const envName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'an environment name is lower-case letters, digits and dashes, e.g. staging');

export const environmentSchema = deploymentSchema.extend({
  name: envName,
  /** Where its container group lives; default AZURE_RESOURCE_GROUP. */
  resourceGroup: z
    .string()
    .regex(/^[-\w._()]{1,90}$/, 'an Azure resource group name (letters, digits, - _ . ( ), at most 90)')
    .refine((v) => !v.endsWith('.'), 'a resource group name cannot end with a period')
    .optional(),
  /** Default: the model's smokeTest. */
  smokeTest: smokeTestSchema.optional(),
  /** Default: the model's approval. `none`: deploys to this environment need no approval (audited). */
  approval: approvalSchema.optional(),
  roles: z.object({ trainers: z.array(z.string().min(1)).optional(), approvers: z.array(z.string().min(1)).optional() }).optional(),
});

/** An environment with every default applied: what the engine reads. */
export interface EnvironmentConfig {
  name: string;
  containerGroup: string;
  resourceGroup?: string | undefined;
  cpu: number;
  memoryInGB: number;
  port: number;
  dnsLabel?: string | undefined;
  smokeTest: SmokeTestConfig;
  approval: ApprovalPolicy;
  /** Replace the model's trainers/approvers for actions in this environment. */
  roles?: { trainers?: string[] | undefined; approvers?: string[] | undefined } | undefined;
}

/** Targets that are stages of the Workspace Model Registry (services/registry/model-registries.ts maps them). */
export const WORKSPACE_STAGES: Readonly<Record<string, string>> = { production: 'Production', staging: 'Staging' };
