import type { OperationOptions } from '../http/http-pipeline';
import { sleep } from '../http/retry';
import type { DatabricksRun } from './databricks.types';

/** What a run poller needs of the client: one read of the run. */
export interface RunReader {
  getRun(runId: number, options?: OperationOptions): Promise<DatabricksRun>;
}

export interface PollOptions extends OperationOptions {
  intervalInMs?: number;
  onUpdate?: (run: DatabricksRun) => void;
}

/** A started run: Azure-SDK style poller around runs/get. */
export class RunPoller {
  constructor(
    private readonly client: RunReader,
    readonly runId: number,
  ) {}

  poll(options: OperationOptions = {}): Promise<DatabricksRun> {
    return this.client.getRun(this.runId, options);
  }

  async pollUntilDone(options: PollOptions = {}): Promise<DatabricksRun> {
    for (;;) {
      const run = await this.poll(options);
      options.onUpdate?.(run);
      if (run.state.terminal) return run;
      await sleep(options.intervalInMs ?? 10_000, options.abortSignal);
    }
  }
}
