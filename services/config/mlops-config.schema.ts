import { z } from 'zod';
import { approvalSchema, deploymentSchema, duration, environmentSchema, smokeTestSchema, WORKSPACE_STAGES, type EnvironmentConfig } from './environment.schema';

export { duration } from './environment.schema';
export type { EnvironmentConfig } from './environment.schema';
import { watchConfigSchema } from './watch-config.schema';

/**
 * mlops.config.yaml: config as code. Models with their pipeline, training and deployment
 * specs and declared parameters; roles; approval policy; channel subscriptions.
 */
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
  /** The single environment (named `target`) of a model that declares no `environments`. */
  deployment: deploymentSchema.optional(),
  /** The default smoke test of every environment. */
  smokeTest: smokeTestSchema.optional(),
  /** Deployment environments in promotion order (default: one, named `target`, from deployment/smokeTest/approval). */
  environments: z.array(environmentSchema).min(1, 'list at least one environment, or leave environments out').max(10).optional(),
  approval: approvalSchema.default({ required: 1, expiresAfter: 24 * 3_600_000 }),
  roles: z
    .object({ trainers: z.array(principal).optional(), approvers: z.array(principal).optional(), admins: z.array(principal).optional() })
    .default({}),
});
type ModelInput = z.infer<typeof modelSchema>;
/** A model with its environments resolved (`environments` always holds at least one). */
export type ModelConfig = Omit<ModelInput, 'environments'> & { environments: EnvironmentConfig[] };

/** The model's environments with their defaults, or the one legacy environment; problems are reported by the schema below. */
function resolveEnvironments(m: ModelInput): EnvironmentConfig[] {
  if (m.environments) {
    return m.environments.map((e) => ({ ...e, smokeTest: e.smokeTest ?? m.smokeTest ?? { sample: undefined, maxLatencyMs: 2000 }, approval: e.approval ?? m.approval }));
  }
  const d = m.deployment ?? { containerGroup: 'unset', cpu: 1, memoryInGB: 1.5, port: 5001 };
  return [{ name: m.target, ...d, smokeTest: m.smokeTest ?? { sample: undefined, maxLatencyMs: 2000 }, approval: m.approval }];
}

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
    if (m.registry === 'workspace' && !m.environments && !(m.target in WORKSPACE_STAGES)) {
      ctx.addIssue({ code: 'custom', path: ['models', name, 'target'], message: `the Workspace Model Registry has stages, not aliases: target must be ${Object.keys(WORKSPACE_STAGES).join(' or ')}` });
    }
    checkEnvironments(name, m, ctx);
  }
  if (cfg.defaultModel && !(cfg.defaultModel in cfg.models)) {
    ctx.addIssue({ code: 'custom', path: ['defaultModel'], message: `defaultModel "${cfg.defaultModel}" is not one of the declared models (${Object.keys(cfg.models).join(', ')})` });
  }
}).transform((cfg) => {
  const models: Record<string, ModelConfig> = Object.fromEntries(Object.entries(cfg.models).map(([k, m]) => [k, { ...m, environments: resolveEnvironments(m) }]));
  return { ...cfg, models };
});
export type MlopsConfig = z.infer<typeof mlopsConfigSchema>;

function checkEnvironments(name: string, m: ModelInput, ctx: z.RefinementCtx): void {
  const at = (...path: (string | number)[]): (string | number)[] => ['models', name, ...path];
  if (!m.environments) {
    if (!m.deployment) ctx.addIssue({ code: 'custom', path: at('deployment'), message: 'set deployment: { containerGroup: ... } (one environment) or environments: [{ name: staging, containerGroup: ... }, ...]' });
    if (!m.smokeTest) ctx.addIssue({ code: 'custom', path: at('smokeTest'), message: 'set smokeTest: { sample: ... } (the request body POSTed to /score after a deploy; docs/scoring.md)' });
    return;
  }
  if (m.deployment) ctx.addIssue({ code: 'custom', path: at('deployment'), message: 'with environments, each environment names its own containerGroup, cpu and memoryInGB: move deployment into the environments' });
  const seen = new Map<string, number>();
  m.environments.forEach((e, i) => {
    if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: at('environments', i, 'name'), message: `environment "${e.name}" is listed twice; each name once, in promotion order` });
    const sameGroup = m.environments!.findIndex((o) => o.containerGroup === e.containerGroup && (o.resourceGroup ?? '') === (e.resourceGroup ?? ''));
    if (sameGroup !== i) ctx.addIssue({ code: 'custom', path: at('environments', i, 'containerGroup'), message: `environments "${m.environments![sameGroup]?.name}" and "${e.name}" would deploy to the same container group ${e.containerGroup}: give each its own containerGroup or resourceGroup` });
    seen.set(e.name, i);
    if (!e.smokeTest && !m.smokeTest) ctx.addIssue({ code: 'custom', path: at('environments', i, 'smokeTest'), message: `set smokeTest: { sample: ... } on environment "${e.name}" or on the model` });
    // MLflow's _validate_model_alias_name (mlflow/utils/validation.py): "latest" and v<digits> are reserved alias names.
    if (m.registry !== 'workspace' && (e.name === 'latest' || /^v\d+$/.test(e.name))) {
      ctx.addIssue({ code: 'custom', path: at('environments', i, 'name'), message: `"${e.name}" cannot be a registry alias (MLflow reserves "latest" and v<number>): name the environment e.g. staging or production` });
    }
    if (m.registry === 'workspace' && !(e.name in WORKSPACE_STAGES)) {
      ctx.addIssue({ code: 'custom', path: at('environments', i, 'name'), message: `the Workspace Model Registry marks environments with stages, not aliases: name must be ${Object.keys(WORKSPACE_STAGES).join(' or ')} (or use registry: unity-catalog / mlflow, whose aliases take any name)` });
    }
  });
}
