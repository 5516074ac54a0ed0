import type { LogLine } from '../support/engine-harness';
import { recordingLogger } from '../support/engine-harness';
import type { StepDeps } from '../../services/workflow/stage-steps';
import { refreshMetrics, tail } from '../../services/workflow/training-metrics';
import { begin } from '../../services/workflow/transitions';
import type { RunRecord } from '../../services/workflow/run.types';

// The training output a run card shows (services/workflow/training-metrics.ts): log tails, and the
// MLflow metric histories of the training run, bounded so that a run record stays small.

describe('tail of a log', () => {
  it('is nothing for no text', () => {
    expect(tail(undefined)).toEqual([]);
    expect(tail('')).toEqual([]);
  });

  it('drops blank and whitespace-only lines and keeps the last 200 lines as they were', () => {
    const lines = Array.from({ length: 250 }, (_, i) => `  line ${i}`);
    expect(tail(`${lines.join('\n')}\n \n\t\n`)).toEqual(lines.slice(-200));
    expect(tail('a\n\n   \nb')).toEqual(['a', 'b']);
  });
});

type Point = { step: number; value: number };
function registry(metrics: Record<string, Point[]>, o: { fail?: Error } = {}): { deps: StepDeps; logs: LogLine[]; reads: string[] } {
  const logs: LogLine[] = [];
  const reads: string[] = [];
  const client = {
    getRun: async (runId: string) => {
      if (o.fail) throw o.fail;
      return { runId, metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, v.at(-1)?.value ?? 0])) };
    },
    async *listMetricHistory(_runId: string, key: string) {
      reads.push(key);
      yield* metrics[key] ?? [];
    },
  };
  return { deps: { registry: client, logger: recordingLogger(logs) } as unknown as StepDeps, logs, reads };
}

const run = (o: Partial<RunRecord> = {}): RunRecord => ({ id: 'r-1', metrics: [], training: { mlflowRunId: 'mlflow-1' }, ...o }) as RunRecord;
const series = (n: number): Point[] => Array.from({ length: n }, (_, i) => ({ step: i, value: i / 10 }));

describe('refreshMetrics', () => {
  it('reads the histories of at most four metrics, the last 100 points of each, and says they changed', async () => {
    const { deps, reads } = registry({ loss: series(150), accuracy: series(3), f1: series(1), auc: series(2), recall: series(5) });
    const t = begin(run());
    expect(await refreshMetrics(t, deps)).toBe(true);
    expect(t.run.metrics.map((m) => m.name)).toEqual(['loss', 'accuracy', 'f1', 'auc']);
    expect(reads).toEqual(['loss', 'accuracy', 'f1', 'auc']);
    expect(t.run.metrics[0]?.points).toEqual(series(150).slice(-100));
    expect(t.run.metrics[1]?.points).toEqual(series(3));
  });

  it('says nothing changed when the histories are the ones the run has', async () => {
    const { deps } = registry({ loss: series(3) });
    expect(await refreshMetrics(begin(run({ metrics: [{ name: 'loss', points: series(3) }] })), deps)).toBe(false);
  });

  it('reads nothing and changes nothing without a training run', async () => {
    const { deps, reads } = registry({ loss: series(3) });
    const t = begin(run({ training: {} }));
    expect(await refreshMetrics(t, deps)).toBe(false);
    expect(t.run.metrics).toEqual([]);
    expect(reads).toEqual([]);
  });

  it('keeps what the run had when MLflow fails, and logs it with the run', async () => {
    const { deps, logs } = registry({}, { fail: new Error('mlflow is down') });
    const t = begin(run({ metrics: [{ name: 'loss', points: series(2) }] }));
    expect(await refreshMetrics(t, deps)).toBe(false);
    expect(t.run.metrics).toEqual([{ name: 'loss', points: series(2) }]);
    expect(logs).toEqual([{ level: 'warn', msg: 'metrics not available yet', fields: { runId: 'r-1', error: expect.stringContaining('mlflow is down') as string } }]);
  });
});
