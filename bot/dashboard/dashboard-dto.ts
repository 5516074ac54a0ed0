/**
 * The dashboard API's answers: the contract between the bot (dashboard-routes.ts) and the tab
 * (web/). Plain types with no imports, so the browser bundle and the server share them.
 */
export type RunStatusDto = 'running' | 'waiting_approval' | 'succeeded' | 'failed' | 'canceled' | 'expired';

export interface RunSummaryDto {
  id: string;
  model: string;
  kind: 'train' | 'deploy' | 'relay';
  status: RunStatusDto;
  requester: string;
  modelVersion?: string;
  createdAt: string;
  updatedAt: string;
  /** The stage that is moving now (its display name), if any. */
  current?: string;
}

export interface StageDto {
  id: string;
  name: string;
  label: string;
  state: string;
  startedAt?: string;
  finishedAt?: string;
  duration?: string;
  detail?: string;
  url?: string;
}

export interface RunDetailDto extends RunSummaryDto {
  version: number;
  branch: string;
  parameters: { name: string; value: string }[];
  progressPercent: number;
  scoringUri?: string;
  logsUrl?: string;
  stages: StageDto[];
  metrics: { name: string; points: { step: number; value: number }[] }[];
  approval?: { state: string; required: number; approvals: number; expiresAt: string; decisions: { by: string; decision: string; comment: string; at: string }[] };
  failure?: { stage: string; system: string; message: string; logTail: string[] };
  audit: { at: string; actor: string; action: string; outcome: string }[];
}

export interface MeDto {
  name: string;
  upn: string | null;
  tenantId: string;
  models: { name: string; roles: string[] }[];
}

export interface RunsPageDto {
  runs: RunSummaryDto[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  next?: string;
}

export interface RunPageDto {
  run: RunDetailDto;
  you: { mayDecide: boolean; requestedIt: boolean };
}

export interface ApprovalDto extends RunSummaryDto {
  expiresAt: string;
  required: number;
  decisions: number;
  requestedByYou: boolean;
  decidedByYou: boolean;
  version: number;
}

export interface ApprovalsDto {
  approvals: ApprovalDto[];
}

export interface DecisionDto {
  message: string;
  run: RunSummaryDto;
}
