import { z } from 'zod';
import { watchConfigSchema } from './watch-config.schema';

/**
 * mlops.config.yaml: config as code. Models with their pipeline, training and deployment
 * specs and declared parameters; roles; approval policy; channel subscriptions.
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

const parameterSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('number'), min: z.number().optional(), max: z.number().optional(), default: z.number().optional(), required: z.boolean().default(false), description: z.string().default('') }),
  z.object({ type: z.literal('integer'), min: z.number().int().optional(), max: z.number().int().optional(), default: z.number().int().optional(), required: z.boolean().default(false), description: z.string().default('') }),
  z.object({ type: z.literal('string'), pattern: z.string().optional(), default: z.string().optional(), required: z.boolean().default(false), description: z.string().default('') }),
  z.object({ type: z.literal('enum'), values: z.array(z.string()).min(1), default: z.string().optional(), required: z.boolean().default(false), description: z.string().default('') }),
  z.object({ type: z.literal('boolean'), default: z.boolean().optional(), required: z.boolean().default(false), description: z.string().default('') }),
]);
export type ParameterSpec = z.infer<typeof parameterSchema>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const principal = z
  .string()
  .min(1, 'a principal is an Entra object id, a UPN, a Teams user id, "group:<Entra group object id>", or "*" for everyone')
  .refine((v) => !v.toLowerCase().startsWith('group:') || GUID.test(v.slice('group:'.length)), 'a group is named by its Entra object id: group:00000000-0000-0000-0000-000000000000');

const approvalPolicy = z.object({
  required: z.number().int().min(1).max(10).default(1),
  expiresAfter: duration.default(24 * 3_600_000),
});

const modelSchema = z.object({
  description: z.string().default(''),
  target: z.string().regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes').default('production'),
  ci: z
    .object({ azureDevOpsPipelineId: z.number().int().positive(), branch: z.string().default('main') })
    .optional()
    .describe('absent: the run skips the CI stage (audited)'),
  cd: z
    .object({ azureDevOpsPipelineId: z.number().int().positive() })
    .optional()
    .describe('a CD pipeline whose environment approvals the bot relays: approval card in Teams, decision to Azure DevOps'),
  training: z.object({
    databricksJobId: z.number().int().positive().optional(),
    gpu: z.boolean().default(false),
    nodeType: z.string().default('Standard_DS3_v2'),
    workers: z.number().int().min(0).max(100).default(1),
    entryPoint: z.string().default('infra/databricks/train.py'),
  }),
  /**
   * Which model registry holds registeredModel (docs/configuration.md): `unity-catalog` (default of new
   * Databricks workspaces; three-level name, aliases), `workspace` (legacy Workspace Model Registry:
   * stages, no aliases) or `mlflow` (an OSS MLflow server: aliases).
   */
  registry: z.enum(['unity-catalog', 'workspace', 'mlflow'], { error: 'registry must be unity-catalog, workspace or mlflow' }).default('unity-catalog'),
  registeredModel: z.string().min(1),
  parameters: z.record(z.string().regex(/^[A-Za-z_][\w.-]*$/, 'parameter names are identifiers'), parameterSchema).default({}),
  deployment: z.object({
    containerGroup: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'an ACI container group name: lower-case letters, digits, dashes'),
    cpu: z.number().positive().max(4).default(1),
    memoryInGB: z.number().positive().max(16).default(1.5),
    port: z.number().int().min(1).max(65535).default(5001),
    dnsLabel: z.string().optional(),
  }),
  smokeTest: z.object({
    sample: z.unknown(),
    maxLatencyMs: z.number().int().positive().default(2000),
  }),
  approval: z.union([z.literal('none'), approvalPolicy]).default({ required: 1, expiresAfter: 24 * 3_600_000 }),
  roles: z
    .object({ trainers: z.array(principal).optional(), approvers: z.array(principal).optional(), admins: z.array(principal).optional() })
    .default({}),
});
export type ModelConfig = z.infer<typeof modelSchema>;

/** Targets that are stages of the Workspace Model Registry (services/registry/model-registries.ts maps them). */
const WORKSPACE_STAGES: Readonly<Record<string, string>> = { production: 'Production', staging: 'Staging' };

export const mlopsConfigSchema = z.object({
  defaultModel: z.string().optional(),
  models: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'model names are lower-case letters, digits and dashes'), modelSchema).refine((m) => Object.keys(m).length > 0, 'declare at least one model'),
  roles: z.object({
    trainers: z.array(principal).default([]),
    approvers: z.array(principal).default([]),
    admins: z.array(principal).default([]),
  }),
  subscriptions: z
    .array(z.object({
      conversationId: z.string(),
      models: z.array(z.string()).default(['*']),
      /** Pipelines (id or name) and Databricks jobs (id or name) whose runs this conversation gets. */
      pipelines: z.array(z.union([z.number().int().positive(), z.string().min(1)])).default([]),
      jobs: z.array(z.union([z.number().int().positive(), z.string().min(1)])).default([]),
      events: z.array(z.enum(['failed', 'succeeded', 'approval'])).default(['failed']),
    }))
    .default([]),
  watch: watchConfigSchema,
  /** Approvers are @mentioned this long before an approval expires; admins are told at expiry. */
  reminders: z.object({ approvalBefore: duration.default(2 * 3_600_000) }).default({ approvalBefore: 2 * 3_600_000 }),
  /** Cron schedules of retraining (also /schedule); the owner is the run's requester (needs the trainer role). */
  schedules: z
    .array(z.object({
      model: z.string(),
      cron: z.string().min(9, 'a 5-field cron expression such as "0 2 * * *"'),
      timeZone: z.string().default('UTC'),
      owner: z.object({ id: z.string().min(1), name: z.string().min(1) }),
      conversationId: z.string().min(1),
    }))
    .default([]),
}).superRefine((cfg, ctx) => {
  for (const [name, m] of Object.entries(cfg.models)) {
    if (m.registry === 'unity-catalog' && !/^[^.\s]+\.[^.\s]+\.[^.\s]+$/.test(m.registeredModel)) {
      ctx.addIssue({ code: 'custom', path: ['models', name, 'registeredModel'], message: `"${m.registeredModel}": a Unity Catalog model has a three-level name catalog.schema.model (or set registry: workspace for the legacy Workspace Model Registry)` });
    }
    if (m.registry !== 'unity-catalog' && m.registeredModel.includes('.')) {
      ctx.addIssue({ code: 'custom', path: ['models', name, 'registeredModel'], message: `"${m.registeredModel}" looks like a Unity Catalog name; with registry: ${m.registry} use a flat name (or set registry: unity-catalog)` });
    }
    if (m.registry === 'workspace' && !(m.target in WORKSPACE_STAGES)) {
      ctx.addIssue({ code: 'custom', path: ['models', name, 'target'], message: `the Workspace Model Registry has stages, not aliases: target must be ${Object.keys(WORKSPACE_STAGES).join(' or ')}` });
    }
  }
  if (cfg.defaultModel && !(cfg.defaultModel in cfg.models)) {
    ctx.addIssue({ code: 'custom', path: ['defaultModel'], message: `defaultModel "${cfg.defaultModel}" is not one of the declared models (${Object.keys(cfg.models).join(', ')})` });
  }
});
export type MlopsConfig = z.infer<typeof mlopsConfigSchema>;
