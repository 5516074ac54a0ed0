import type { RunStore } from './run-store';
import { scoringContainerSpec } from './scoring-container';
import type { RunRecord } from './run.types';
import { stageOf } from './run.types';
import { advanceTo, errorText, type StepDeps } from './stage-steps';
import { begin, fail, finishStage, iso, startStage, touch, type Transition } from './transitions';

/** Approval stage: only expiry moves it on its own; decisions come from RunEngine.decide. */
export function stepApproval(run: RunRecord, deps: StepDeps): Transition | undefined {
  const now = deps.now();
  const a = run.approval;
  if (!a || a.state !== 'pending' || now <= Date.parse(a.expiresAt)) return undefined;
  const t = begin(run);
  if (t.run.approval) t.run.approval.state = 'expired';
  finishStage(t, 'approval', 'expired', now, `no decision before ${a.expiresAt}`);
  t.run.status = 'expired';
  t.effects.outbox.push({ kind: 'approvalCard' }, { kind: 'notice', payload: `Run ${run.id}: the approval expired, so version ${run.ext.modelVersion ?? '?'} of ${run.model} was not deployed.` });
  t.effects.audit.push({ at: iso(now), actor: 'system', action: 'approval.expired', outcome: 'ok', detail: { expiresAt: a.expiresAt } });
  touch(t, now);
  return t;
}

/**
 * One deploy at a time per model and target: a run holds the slot while its deploy or smoke
 * test runs; the others wait in run order.
 */
export async function deploySlotHolder(run: RunRecord, runs: RunStore): Promise<RunRecord | undefined> {
  const active = await runs.listRuns({ model: run.model, active: true });
  const competing = active
    .filter((r) => r.id !== run.id && r.target === run.target)
    .filter((r) => ['running', 'queued'].includes(stageOf(r, 'deploy').state) || stageOf(r, 'smoke').state === 'running');
  const busy = competing.find((r) => stageOf(r, 'deploy').state === 'running' || stageOf(r, 'smoke').state === 'running');
  if (busy) return busy;
  const seq = (r: RunRecord): number => Number(r.id.slice(2));
  return competing.filter((r) => seq(r) < seq(run)).sort((a, b) => seq(a) - seq(b))[0];
}

export async function stepDeploy(run: RunRecord, deps: StepDeps, runs: RunStore): Promise<Transition | undefined> {
  const now = deps.now();
  const t = begin(run);
  const m = deps.models[run.model];
  if (!m) return undefined;
  if (!deps.aci) {
    fail(t, 'deploy', 'ACI is not configured: set AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and AZURE_LOCATION', [], now);
    return t;
  }
  const stage = stageOf(run, 'deploy');
  if (!run.ext.deployRequestedAt) {
    const holder = await deploySlotHolder(run, runs);
    if (holder) {
      const detail = `waiting for run ${holder.id} to finish deploying`;
      if (stage.state === 'queued' && stage.detail === detail) return undefined;
      startStage(t, 'deploy', now, detail, 'queued');
      touch(t, now);
      return t;
    }
    // Persist the intent first: after a restart the PUT (idempotent in ARM) is simply sent again.
    t.run.ext.deployRequestedAt = iso(now);
    t.run.ext.containerGroup = m.deployment.containerGroup;
    startStage(t, 'deploy', now, `deploying version ${run.ext.modelVersion ?? '?'} to ${m.deployment.containerGroup}`);
    stageOf(t.run, 'deploy').state = 'running';
    t.effects.audit.push({ at: iso(now), actor: 'system', action: 'aci.deploy', outcome: 'ok', detail: { containerGroup: m.deployment.containerGroup, image: run.ext.scoringImage, version: run.ext.modelVersion } });
    touch(t, now);
    return t;
  }
  if (!run.ext.deploySentAt) {
    // Sends the PUT and returns after ARM accepted it; later steps read the group's state.
    await deps.aci.beginCreateOrUpdate(scoringContainerSpec(run, m, run.ext.scoringImage ?? '', run.ext.modelVersion ?? '', deps.scoring));
    t.run.ext.deploySentAt = iso(now);
    return t;
  }
  const state = await deps.aci.get(m.deployment.containerGroup);
  const crashed = state.containers.some((c) => c.state === 'Terminated' || c.restartCount > 0);
  if (state.provisioningState === 'Failed' || state.status === 'Failed' || state.status === 'Crashing' || crashed) {
    const logs = await deps.aci.getLogs(m.deployment.containerGroup, { tail: 200 }).catch(() => '');
    const events = state.containers.flatMap((c) => c.events).map((e) => `${e.name}: ${e.message}`);
    fail(t, 'deploy', `The container group ${state.name} is ${state.status.toLowerCase()} (provisioning ${state.provisioningState})`, [...events, ...logs.split('\n').filter(Boolean)], now);
    return t;
  }
  if (state.provisioningState !== 'Succeeded' || state.status !== 'Running' || !state.scoringBaseUrl) return undefined;
  t.run.ext.scoringUri = `${state.scoringBaseUrl.replace(/\/+$/, '')}/score`;
  finishStage(t, 'deploy', 'succeeded', now, `${state.name} running`);
  advanceTo(t, 'deploy', now);
  touch(t, now);
  return t;
}

export async function stepSmoke(run: RunRecord, deps: StepDeps): Promise<Transition | undefined> {
  const now = deps.now();
  const t = begin(run);
  const m = deps.models[run.model];
  if (!m || !run.ext.scoringUri) return undefined;
  let result: { status: number; latencyMs: number; body: string } | undefined;
  let problem: string | undefined;
  try {
    result = await deps.smokeTest(run.ext.scoringUri, m.smokeTest.sample, Math.max(5_000, m.smokeTest.maxLatencyMs * 3));
    if (result.status < 200 || result.status >= 300) problem = `POST /score answered HTTP ${result.status}`;
    else if (result.latencyMs > m.smokeTest.maxLatencyMs) problem = `POST /score took ${result.latencyMs} ms (limit ${m.smokeTest.maxLatencyMs} ms)`;
    else if (!looksLikePrediction(result.body)) problem = 'POST /score answered something that is not a prediction';
  } catch (e) {
    problem = `POST /score failed: ${errorText(e)}`;
  }
  t.run.smoke = { status: result?.status ?? 0, latencyMs: result?.latencyMs ?? 0, ok: !problem, detail: problem ?? `HTTP ${result?.status ?? 0} in ${result?.latencyMs ?? 0} ms` };
  if (!problem) {
    finishStage(t, 'smoke', 'succeeded', now, t.run.smoke.detail);
    if (deps.registry && run.ext.modelVersion) await deps.registry.models(m.registry).promote(m.registeredModel, run.ext.modelVersion, run.target);
    advanceTo(t, 'smoke', now);
    t.effects.outbox.push({ kind: 'notice', payload: `Run ${run.id}: ${run.model} version ${run.ext.modelVersion ?? '?'} is live at ${run.ext.scoringUri}` });
    touch(t, now);
    return t;
  }
  const logs = deps.aci ? await deps.aci.getLogs(m.deployment.containerGroup, { tail: 50 }).catch(() => '') : '';
  let rollback = '';
  const prev = run.ext.productionVersion;
  if (prev && prev !== run.ext.modelVersion && deps.registry && deps.aci) {
    try {
      const pv = await deps.registry.models(m.registry).getVersion(m.registeredModel, prev);
      if (pv.scoringImage) {
        // The rollback waits for the previous version to run: the card must say the truth about production.
        const poller = await deps.aci.beginCreateOrUpdate(scoringContainerSpec(run, m, pv.scoringImage, prev, deps.scoring));
        await poller.pollUntilDone();
        t.run.rolledBackTo = prev;
        rollback = ` Rolled back to version ${prev}.`;
        t.effects.audit.push({ at: iso(now), actor: 'system', action: 'aci.rollback', outcome: 'ok', detail: { toVersion: prev, image: pv.scoringImage } });
      }
    } catch (e) {
      rollback = ` Rollback to version ${prev} failed too: ${errorText(e)}.`;
    }
  } else {
    rollback = ' There is no previous production version to roll back to.';
  }
  fail(t, 'smoke', `Smoke test failed: ${problem}.${rollback}`, logs.split('\n').filter(Boolean), now);
  touch(t, now);
  return t;
}

function looksLikePrediction(body: string): boolean {
  try {
    const v = JSON.parse(body) as unknown;
    if (Array.isArray(v)) return v.length > 0;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return ['predictions', 'prediction', 'outputs', 'result'].some((k) => k in o && !(Array.isArray(o[k]) && (o[k] as unknown[]).length === 0));
    }
    return false;
  } catch {
    return false;
  }
}
