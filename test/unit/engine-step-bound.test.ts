import type { RunRecord } from '../../services/workflow/run.types';
import { begin, touch, type Transition } from '../../services/workflow/transitions';
import { engineHarness } from '../support/engine-harness';

// A run whose every step asks for the next at once (a step that never settles, by a bug or a
// service that keeps answering "go on"): one advance takes at most 12 steps, then leaves the rest
// to the next call, so that it cannot hold the run's lock and the event loop for ever.
jest.mock('../../services/workflow/run-step', () => ({
  nextTransition: async (run: RunRecord): Promise<Transition> => {
    const t = begin(run);
    touch(t, Date.parse(run.updatedAt) + 1);
    t.next = 'now';
    return t;
  },
}));

it('takes at most 12 steps in one advance', async () => {
  const h = engineHarness();
  try {
    const res = await h.engine.startTrain({ model: 'fashion-cnn', params: {}, requester: { id: 'user-id-0', name: 'Alex' }, conversationId: 'c' });
    if (!res.ok) throw new Error(JSON.stringify(res.refusal));
    // The background step after the start holds the run's lock; an advance waits for it.
    await h.engine.advance(res.run.id);
    const before = (await h.run(res.run.id)).version;
    await h.engine.advance(res.run.id);
    expect((await h.run(res.run.id)).version - before).toBe(12);
  } finally {
    await h.close();
  }
});
