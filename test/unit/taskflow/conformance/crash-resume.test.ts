/**
 * Conformance: resuming after a crash at each step of a failure→retry cycle (TaskFlow 5.0's
 * tests/unit/test_retries.py::test_resumption_on_crash_after_*). The crash state is the engine's own flow detail
 * snapshotted synchronously at the event where the process "dies"; a fresh engine resumes from its JSON copy.
 */
import { Engine, Times, UnorderedFlow, type AtomEvent, type FlowDetail } from '../../../../src/taskflow';
import { EXECUTORS, Recorder, runEngine } from './harness';

function flow(rec: Recorder, failFirst: boolean) {
  return new UnorderedFlow('flow-1', new Times(3, { name: 'r', provides: 'x' })).add(
    rec.t('task1', {
      requires: ['x'],
      fail: failFirst ? (kw) => ((kw['x'] as number) < 2 ? 'foo' : undefined) : undefined,
      ret: 5,
    }),
  );
}

/** Runs until atom event `at` happens, snapshots the flow detail there (the "crash"). */
async function crashAt(executor: 'serial' | 'parallel', at: string): Promise<FlowDetail> {
  const e = new Engine(flow(new Recorder(), true), { executor });
  let snap: FlowDetail | undefined;
  e.atomNotifier.register('*', (ev) => {
    const a = ev as AtomEvent;
    if (!snap && `${a.atomName} ${a.state}` === at)
      snap = JSON.parse(JSON.stringify(e.toFlowDetail())) as FlowDetail;
  });
  await e.run().catch(() => undefined);
  if (!snap) throw new Error(`event ${at} never happened`);
  return snap;
}

const AFTER_REVERT = [
  'r RETRYING',
  'task1 PENDING',
  'r RUNNING',
  'r SUCCESS',
  'task1 RUNNING',
  'task1 SUCCESS',
];

describe.each(EXECUTORS)('resumption after a crash (%s executor)', (executor) => {
  it.each([
    ['after task failure', 'task1 FAILURE', ['task1 REVERTING', 'task1 REVERTED', ...AFTER_REVERT]],
    ['after revert scheduled', 'task1 REVERTING', ['task1 REVERTED', ...AFTER_REVERT]],
    [
      'after the retry decided to retry',
      'r RETRYING',
      ['task1 PENDING', 'r RUNNING', 'r SUCCESS', 'task1 RUNNING', 'task1 SUCCESS'],
    ],
  ] as const)(
    '%s: the failure is reverted, the retry retries, the flow succeeds',
    async (_label, at, expected) => {
      const fd = await crashAt(executor, at);
      const rec = new Recorder();
      const e = new Engine(flow(rec, false), { executor, flowDetail: fd });

      const o = await runEngine(e, rec);

      expect(o.raised).toBeNull();
      expect(o.flow_state).toBe('SUCCESS');
      // TaskFlow does not re-announce the state the atom was persisted in (identity transition), so a repeated
      // first event is tolerated; everything after must match TaskFlow's sequence exactly.
      const events = o.events[0] === at ? o.events.slice(1) : o.events;
      expect(events).toEqual(expected);
      expect(o.results).toMatchObject({ x: 2 });
      expect(o.calls.filter((c) => c.op === 'execute').map((c) => c.args)).toEqual([{ x: 2 }]);
    },
  );
});
