import type { RunStore } from './run-store';
import { scoringContainerSpec } from './scoring-container';
import type { RunRecord } from './run.types';
import { stageOf } from './run.types';
import { advanceTo, type StepDeps } from './stage-steps';
import { environmentOf } from './environments';
import { begin, fail, finishStage, iso, startStage, touch, type Transition } from './transitions';
import { claimSend, sendDone, takeSendTurn } from './send-claim';

/** Approval stage: only expiry moves it on its own; decisions come from RunEngine.decide. */
export function stepApproval(run: RunRecord, deps: StepDeps): Transition | undefined {
  const now = deps.now();
  const a = run.approval;
  if (!a || a.state !== 'pending' || now <= Date.parse(a.expiresAt)) return undefined;
  const t = begin(run);
  if (t.run.approval) t.run.approval.state = 'expired';
  finishStage(t, 'approval', 'expired', now, `no decision before ${a.expiresAt}`);
  t.run.status = 'expired';
  t.effects.outbox.push({ kind: 'approvalUpdated' }, { kind: 'notice', payload: `Run ${run.id}: the approval expired, so version ${run.registered?.version ?? '?'} of ${run.model} was not deployed.` });
  t.effects.audit.push({ at: iso(now), actor: 'system', action: 'approval.expired', outcome: 'ok', detail: { expiresAt: a.expiresAt } });
  touch(t, now);
  return t;
}

/**
 * The deploy lock, per model and environment: a run holds the slot while its deploy or smoke
 * test runs; other runs of the same environment wait in run order, other environments go on.
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
  const env = environmentOf(run, m);
  if (!deps.aci) {
    fail(t, 'deploy', 'ACI is not configured: set AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and AZURE_LOCATION', [], now);
    return t;
  }
  const stage = stageOf(run, 'deploy');
  if (!run.deploy?.requestedAt) {
    const holder = await deploySlotHolder(run, runs);
    if (holder) {
      const detail = `waiting for run ${holder.id} to finish deploying`;
      if (stage.state === 'queued' && stage.detail === detail) return undefined;
      startStage(t, 'deploy', now, detail, 'queued');
      touch(t, now);
      return t;
    }
    // Persist the intent first: after a restart the PUT (idempotent in ARM) is simply sent again.
    (t.run.deploy ??= {}).requestedAt = iso(now);
    (t.run.deploy ??= {}).containerGroup = env.containerGroup;
    claimSend(t, 'deploy', deps.sender, now);
    startStage(t, 'deploy', now, `deploying version ${run.registered?.version ?? '?'} to ${env.name} (${env.containerGroup})`);
    stageOf(t.run, 'deploy').state = 'running';
    t.effects.audit.push({ at: iso(now), actor: 'system', action: 'aci.deploy', outcome: 'ok', detail: { env: env.name, containerGroup: env.containerGroup, ...(env.resourceGroup ? { resourceGroup: env.resourceGroup } : {}), image: run.registered?.scoringImage, version: run.registered?.version } });
    touch(t, now);
    t.next = 'now'; // the intent is on disk: send the PUT right away
    return t;
  }
  const aci = deps.aci.inResourceGroup(env.resourceGroup);
  if (!run.deploy?.sentAt) {
    const turn = takeSendTurn(t, run, 'deploy', deps.sender, now);
    if (turn !== 'send') return turn === 'claimed' ? t : undefined;
    // Sends the PUT and returns after ARM accepted it; later steps read the group's state.
    await aci.beginCreateOrUpdate(scoringContainerSpec(run, m, env, run.registered?.scoringImage ?? '', run.registered?.version ?? '', deps.scoring));
    (t.run.deploy ??= {}).sentAt = iso(now);
    sendDone(t);
    t.next = 'now';
    return t;
  }
  const state = await aci.get(env.containerGroup);
  const crashed = state.containers.some((c) => c.state === 'Terminated' || c.restartCount > 0);
  if (state.provisioningState === 'Failed' || state.status === 'Failed' || state.status === 'Crashing' || crashed) {
    const logs = await aci.getLogs(env.containerGroup, { tail: 200 }).catch(() => '');
    const events = state.containers.flatMap((c) => c.events).map((e) => `${e.name}: ${e.message}`);
    fail(t, 'deploy', `The container group ${state.name} is ${state.status.toLowerCase()} (provisioning ${state.provisioningState})`, [...events, ...logs.split('\n').filter(Boolean)], now);
    return t;
  }
  if (state.provisioningState !== 'Succeeded' || state.status !== 'Running' || !state.scoringBaseUrl) return undefined;
  (t.run.deploy ??= {}).scoringUri = `${state.scoringBaseUrl.replace(/\/+$/, '')}/score`;
  finishStage(t, 'deploy', 'succeeded', now, `${state.name} running`);
  advanceTo(t, 'deploy', now);
  touch(t, now);
  return t;
}
