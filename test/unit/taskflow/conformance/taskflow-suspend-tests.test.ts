/**
 * Conformance against TaskFlow 5.0's own suspend tests (taskflow/tests/unit/test_suspend.py): suspension requested
 * from an atom listener (TaskFlow's SuspendingListener) rather than from inside a task.
 */
import {
  Engine,
  LinearFlow,
  MemoryBackend,
  MissingDependencies,
  type AtomEvent,
  type FlowDetail,
} from '../../../../src/taskflow';
import { EXECUTORS, Recorder, runEngine } from './harness';

/** Suspends the engine when atom `name` reaches `state` (TaskFlow's SuspendingListener). */
function suspendOn(e: Engine, name: string, state: string): () => void {
  return e.atomNotifier.register('*', (ev) => {
    const a = ev as AtomEvent;
    if (a.atomName === name && a.state === state) e.suspend();
  });
}

describe.each(EXECUTORS)('TaskFlow suspend tests (%s executor)', (executor) => {
  it('test_suspend_linear_flow: suspending on b SUCCESS stops before c; run() again runs only c', async () => {
    const rec = new Recorder();
    const e = new Engine(
      new LinearFlow('linear').add(rec.t('a', { ret: 5 }), rec.t('b', { ret: 5 }), rec.t('c', { ret: 5 })),
      { executor },
    );
    const off = suspendOn(e, 'b', 'SUCCESS');

    const first = await runEngine(e, rec);
    off();
    const second = await runEngine(e, rec);

    expect(first.flow_state).toBe('SUSPENDED');
    expect(first.events).toEqual(['a RUNNING', 'a SUCCESS', 'b RUNNING', 'b SUCCESS']);
    expect(second.flow_state).toBe('SUCCESS');
    expect(second.events).toEqual(['c RUNNING', 'c SUCCESS']);
  });

  it('test_suspend_one_task: suspending on the last atom lets the flow finish as SUCCESS', async () => {
    const rec = new Recorder();
    const e = new Engine(new LinearFlow('one').add(rec.t('a', { ret: 5 })), { executor });
    suspendOn(e, 'a', 'SUCCESS');

    const first = await runEngine(e, rec);
    const second = await runEngine(e, rec);

    // TaskFlow's test suspends on 'b' (absent), i.e. never. Suspending on the very last atom (checked with
    // TaskFlow 5.0 directly): flow events RUNNING, SUSPENDING, SUCCESS — nothing is left, so the flow is complete.
    expect(first.events).toEqual(['a RUNNING', 'a SUCCESS']);
    expect(first.flow_state).toBe('SUCCESS');
    expect(first.flow_events).toEqual(['RUNNING', 'SUSPENDING', 'SUCCESS']);
    expect(second.flow_state).toBe('SUCCESS');
    expect(second.calls).toEqual([]);
  });

  it('test_suspend_linear_flow_on_revert + test_suspend_and_resume_linear_flow_on_revert', async () => {
    const rec = new Recorder();
    const e = new Engine(
      new LinearFlow('linear').add(
        rec.t('a', { ret: 5 }),
        rec.t('b', { ret: 5 }),
        rec.t('c', { fail: 'Woot!' }),
      ),
      { executor },
    );
    const off = suspendOn(e, 'b', 'REVERTED');

    const first = await runEngine(e, rec);
    off();
    const second = await runEngine(e, rec);

    expect(first.flow_state).toBe('SUSPENDED');
    expect(first.events).toEqual([
      'a RUNNING',
      'a SUCCESS',
      'b RUNNING',
      'b SUCCESS',
      'c RUNNING',
      'c FAILURE',
      'c REVERTING',
      'c REVERTED',
      'b REVERTING',
      'b REVERTED',
    ]);
    expect(second.events).toEqual(['a REVERTING', 'a REVERTED']);
    expect(second.raised?.message).toBe('Woot!');
    expect(second.flow_state).toBe('REVERTED');
  });

  it('test_storage_is_rechecked: resuming re-validates requirements against the (changed) store', async () => {
    const backend = new MemoryBackend();
    const rec = new Recorder();
    const build = () =>
      new LinearFlow('linear').add(
        rec.t('b', { requires: ['foo'], ret: 5 }),
        rec.t('c', { requires: ['foo'], ret: 5 }),
      );
    const e1 = new Engine(build(), { executor, backend, store: { foo: 'bar' } });
    const off = suspendOn(e1, 'b', 'SUCCESS');
    const first = await runEngine(e1, rec);
    off();
    const fd = JSON.parse(JSON.stringify(await backend.getFlowDetail(e1.uuid))) as FlowDetail;
    fd.meta = { ...fd.meta, store: {} }; // "uninject everything"

    const second = await runEngine(new Engine(build(), { executor, backend, flowDetail: fd }), rec);

    expect(first.flow_state).toBe('SUSPENDED');
    expect(second.raised?.error).toBeInstanceOf(MissingDependencies);
    // TaskFlow validates every atom whatever its state, so b and c both lack foo: a flow-level error naming 'foo'.
    expect(second.raised?.error).toMatchObject({ missing: ['foo'] });
    expect(second.calls).toEqual([]);
  });
});
