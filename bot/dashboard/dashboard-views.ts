import { STAGES } from '../../cards/views';
import { approvalCount } from '../../services/workflow/approval-policy';
import type { AuditEntry } from '../../services/workflow/run-store';
import type { RunRecord } from '../../services/workflow/run.types';
import { runCardView } from '../views/run-views';
import type { RunDetailDto, RunSummaryDto } from './dashboard-dto';

/**
 * What the dashboard's API answers: the run card's own view (one mapping from the run record,
 * shared with the card) plus what a card has no room for: raw stage times for the timeline,
 * every metric point, the decisions and the audit. Names of people, never their ids.
 */
export function runSummary(run: RunRecord): RunSummaryDto {
  const current = run.stages.find((s) => ['running', 'waiting', 'queued'].includes(s.state));
  const view = runCardView(run, Date.parse(run.updatedAt));
  return {
    id: run.id,
    model: run.model,
    kind: run.kind,
    status: run.status,
    requester: run.requester.name,
    env: run.target,
    ...(view.modelVersion ? { modelVersion: view.modelVersion } : {}),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    ...(current ? { current: STAGES.find((s) => s.id === current.id)?.name ?? current.id } : {}),
  };
}

export function runDetail(run: RunRecord, audit: readonly AuditEntry[], now: number): RunDetailDto {
  const view = runCardView(run, now);
  return {
    ...runSummary(run),
    version: run.version,
    branch: run.branch,
    parameters: [...view.parameters],
    progressPercent: view.progressPercent,
    ...(view.scoringUri ? { scoringUri: view.scoringUri } : {}),
    ...(view.logsUrl ? { logsUrl: view.logsUrl } : {}),
    stages: view.stages.map((s) => {
      const meta = STAGES.find((x) => x.id === s.id);
      const rec = run.stages.find((x) => x.id === s.id);
      return {
        id: s.id,
        name: meta?.name ?? s.id,
        label: meta?.label ?? s.id,
        state: s.state,
        ...(rec?.startedAt ? { startedAt: rec.startedAt } : {}),
        ...(rec?.finishedAt ? { finishedAt: rec.finishedAt } : {}),
        ...(s.duration ? { duration: s.duration } : {}),
        ...(s.detail ? { detail: s.detail } : {}),
        ...(s.url ? { url: s.url } : {}),
      };
    }),
    metrics: run.metrics.map((m) => ({ name: m.name, points: m.points.map((p) => ({ step: p.step, value: p.value })) })),
    ...(run.approval
      ? {
          approval: {
            state: run.approval.state,
            required: run.approval.required,
            approvals: approvalCount(run.approval.decisions),
            expiresAt: run.approval.expiresAt,
            decisions: run.approval.decisions.map((d) => ({ by: d.by.name, decision: d.decision, comment: d.comment, at: d.at })),
          },
        }
      : {}),
    ...(run.failure ? { failure: { stage: run.failure.stage, system: run.failure.system, message: run.failure.message, logTail: [...run.failure.logTail] } } : {}),
    audit: audit.map((a) => ({ at: a.at, actor: a.actor, action: a.action, outcome: a.outcome })),
  };
}
