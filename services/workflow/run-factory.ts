import { principalKey } from '../auth/principal';
import type { ModelConfig } from '../config/mlops-config.schema';
import type { AuditEntry, TransitionEffects } from './run-store';
import { STAGE_IDS, type ParamValue, type PersonRef, type RunRecord } from './run.types';
import { iso } from './transitions';
import { environment, firstEnvironment } from './environments';

/** New run records, before they are persisted: pure, so the shape of every kind of run is testable. */
export interface StartTrainRequest {
  model: string;
  params: Record<string, ParamValue>;
  branch?: string;
  requester: PersonRef;
  conversationId: string;
  retryOf?: string;
}

export interface StartDeployRequest {
  model: string;
  version?: string;
  requester: PersonRef;
  conversationId: string;
  reason: 'deploy' | 'rollback' | 'promote';
  /** The environment to deploy to (default: the first). */
  env?: string;
  /** A promotion: the run whose version passed the environment before. */
  promotedFrom?: string;
}

export interface StartRollbackRequest {
  model: string;
  /** Default: the last environment. */
  env?: string;
  requester: PersonRef;
  conversationId: string;
}

export interface NewRun {
  run: Omit<RunRecord, 'id' | 'version'>;
  effects: TransitionEffects;
}

export function newTrainRun(req: StartTrainRequest, m: ModelConfig, now: number): NewRun {
  const stages: RunRecord['stages'] = STAGE_IDS.map((id) => ({ id, state: 'pending' }));
  const branch = req.branch ?? m.ci?.branch ?? 'main';
  const audit: AuditEntry[] = [{ at: iso(now), actor: principalKey(req.requester), action: 'run.start', outcome: 'ok', detail: { model: req.model, params: req.params, branch, retryOf: req.retryOf } }];
  // A model may drop the CI stage or the approval; the audit log says so.
  if (!m.ci) {
    stages[0] = { id: 'ci', state: 'skipped', detail: 'no CI pipeline configured for this model' };
    audit.push({ at: iso(now), actor: 'system', action: 'stage.skipped', outcome: 'ok', detail: { stage: 'ci', reason: `models.${req.model}.ci is not set` } });
  }
  const env = firstEnvironment(m);
  if (env.approval === 'none') {
    stages[STAGE_IDS.indexOf('approval')] = { id: 'approval', state: 'skipped', detail: `approval not required for ${env.name}` };
    audit.push({ at: iso(now), actor: 'system', action: 'stage.skipped', outcome: 'ok', detail: { stage: 'approval', reason: `approval of environment ${env.name} is none` } });
  }
  startFirstPending(stages, now);
  return {
    run: {
      model: req.model, target: env.name, kind: 'train', params: req.params, branch, requester: req.requester, conversationId: req.conversationId,
      status: 'running', stages, metrics: [], ...(req.retryOf ? { retryOf: req.retryOf } : {}), createdAt: iso(now), updatedAt: iso(now),
    },
    effects: { audit, outbox: [{ kind: 'progress' }] },
  };
}

export function newDeployRun(req: StartDeployRequest, m: ModelConfig, now: number): NewRun {
  const env = (req.env ? environment(m, req.env) : undefined) ?? firstEnvironment(m);
  const why = { rollback: 'rollback of a registered version', deploy: 'deploy of a registered version', promote: `promotion of a version from run ${req.promotedFrom ?? '?'}` }[req.reason];
  const stages: RunRecord['stages'] = STAGE_IDS.map((id) => (id === 'ci' || id === 'training' ? { id, state: 'skipped', detail: why } : { id, state: 'pending' }));
  if (env.approval === 'none') stages[STAGE_IDS.indexOf('approval')] = { id: 'approval', state: 'skipped', detail: `approval not required for ${env.name}` };
  startFirstPending(stages, now);
  return {
    run: {
      model: req.model, target: env.name, kind: 'deploy', params: {}, branch: m.ci?.branch ?? 'main', requester: req.requester, conversationId: req.conversationId,
      status: 'running', stages, ...(req.version ? { registered: { version: req.version } } : {}), metrics: [], ...(req.promotedFrom ? { promotedFrom: req.promotedFrom } : {}), createdAt: iso(now), updatedAt: iso(now),
    },
    effects: { audit: [{ at: iso(now), actor: principalKey(req.requester), action: `run.${req.reason}`, outcome: 'ok', detail: { model: req.model, version: req.version ?? 'latest', env: env.name, ...(req.promotedFrom ? { promotedFrom: req.promotedFrom } : {}) } }], outbox: [{ kind: 'progress' }] },
  };
}

function startFirstPending(stages: RunRecord['stages'], now: number): void {
  const first = stages.find((s) => s.state === 'pending');
  if (first) Object.assign(first, { state: 'running', startedAt: iso(now) });
}
