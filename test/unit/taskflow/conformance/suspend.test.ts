/**
 * Conformance: suspend/resume, resuming from a persisted flow detail, atoms left RUNNING, flow-level event
 * sequences (python/suspend.py, TaskFlow 5.0).
 */
import { Engine, LinearFlow, MemoryBackend, type FlowDetail } from '../../../../src/taskflow';
import { EXECUTORS, histView, loadRecorded, Recorder, retries, runEngine, shape } from './harness';

const R = loadRecorded('suspend');

interface Phase {
  raised: unknown;
  events: string[];
  flow_events: string[];
  calls: unknown[];
  flow_state: string;
  atom_states?: Record<string, string>;
  results?: unknown;
}

describe.each(EXECUTORS)('suspend and resume (%s executor)', (executor) => {
  function lin(rec: Recorder, engineRef: { e?: Engine }) {
    return new LinearFlow('f').add(
      rec.t('a', { ret: 'A', provides: 'x' }),
      rec.t('b', { ret: 'B', requires: ['x'], provides: 'y', during: () => engineRef.e!.suspend() }),
      rec.t('c', { ret: 'C', requires: ['y'], provides: 'z' }),
    );
  }

  it('suspend() lets the running atom finish, starts nothing new, and run() again continues', async () => {
    const rec = new Recorder();
    const ref: { e?: Engine } = {};
    const e = new Engine(lin(rec, ref), { executor, store: { s: 1 } });
    ref.e = e;

    const p1 = await runEngine(e, rec);
    const p1States = { ...p1.atom_states };
    const p2 = await runEngine(e, rec);

    const exp = R['suspend_then_run_again'] as unknown as { first: Phase; second: Phase };
    expect(p1.raised).toBeNull(); // run() resolves when suspended
    expect(p1.events).toEqual(exp.first.events);
    expect(p1.flow_events).toEqual(exp.first.flow_events); // RUNNING, SUSPENDING, SUSPENDED
    expect(p1.flow_state).toBe('SUSPENDED');
    expect(p1States).toEqual(exp.first.atom_states);
    expect(p2.raised).toBeNull();
    expect(p2.events).toEqual(exp.second.events); // only c runs
    expect(p2.flow_events).toEqual(exp.second.flow_events);
    expect(p2.calls.map((c) => c.atom)).toEqual(['c']);
    expect(p2.atom_states).toEqual(exp.second.atom_states);
    expect(p2.results).toEqual(exp.second.results);
  });

  it('a new engine built from the same flow and the stored flow detail resumes without re-running finished atoms', async () => {
    const rec = new Recorder();
    const backend = new MemoryBackend();
    const ref: { e?: Engine } = {};
    const e1 = new Engine(lin(rec, ref), { executor, backend, store: { s: 1 } });
    ref.e = e1;
    const p1 = await runEngine(e1, rec);
    const stored = JSON.parse(JSON.stringify(await backend.getFlowDetail(e1.uuid))) as FlowDetail;

    const rec2 = new Recorder();
    const ref2: { e?: Engine } = {};
    const e2 = new Engine(lin(rec2, ref2), { executor, backend, flowDetail: stored });
    ref2.e = e2;
    const p2 = await runEngine(e2, rec2);

    const exp = R['resume_in_new_engine'] as unknown as { first: Phase; second: Phase };
    expect(p1.flow_state).toBe(exp.first.flow_state);
    expect(stored.state).toBe('SUSPENDED');
    expect(p2.raised).toBeNull();
    expect(p2.events).toEqual(exp.second.events);
    expect(p2.calls.map((c) => c.atom)).toEqual(['c']);
    expect(p2.atom_states).toEqual(exp.second.atom_states);
    expect(p2.results).toEqual(exp.second.results); // includes the store {s: 1} from the flow detail and a's, b's results
    expect((await backend.getFlowDetail(e1.uuid)).state).toBe('SUCCESS');
  });

  it('re-runs an atom left RUNNING (crash) and reuses SUCCESS results', async () => {
    const rec = new Recorder();
    const backend = new MemoryBackend();
    const ref: { e?: Engine } = {};
    const first = new LinearFlow('f').add(
      rec.t('a', { ret: 'A', provides: 'x', during: () => ref.e!.suspend() }),
      rec.t('b', { ret: 'B', requires: ['x'], provides: 'y' }),
      rec.t('c', { ret: 'C', requires: ['y'] }),
    );
    const e1 = new Engine(first, { executor, backend });
    ref.e = e1;
    await runEngine(e1, rec);
    // Simulate a process that died while b was running.
    const fd = JSON.parse(JSON.stringify(await backend.getFlowDetail(e1.uuid))) as FlowDetail;
    const b = fd.atomDetails.find((d) => d.name === 'b')!;
    b.state = 'RUNNING';
    fd.state = 'RUNNING';

    const rec2 = new Recorder();
    const again = new LinearFlow('f').add(
      rec2.t('a', { ret: 'A2', provides: 'x' }),
      rec2.t('b', { ret: 'B', requires: ['x'], provides: 'y' }),
      rec2.t('c', { ret: 'C', requires: ['y'] }),
    );
    const e2 = new Engine(again, { executor, backend, flowDetail: fd });
    const p = await runEngine(e2, rec2);

    const exp = R['resume_atom_left_running'] as unknown as Phase;
    expect(p.raised).toBeNull();
    expect(p.calls.map((c) => (c as { atom: string }).atom)).toEqual(['b', 'c']); // a is not re-run
    expect(p.calls[0]).toEqual({ op: 'execute', atom: 'b', args: { x: 'A' } }); // a's stored result is reused
    expect(p.atom_states).toEqual(exp.atom_states);
    expect(p.results).toEqual(exp.results);
    // TaskFlow skips the RUNNING->RUNNING notification of b (identity transition), so only the tail is compared.
    expect(p.events.slice(-3)).toEqual(exp.events);
    // A flow detail left RUNNING is resumed: RESUMING -> SUSPENDED -> RUNNING -> SUCCESS, every step announced.
    expect(p.flow_events).toEqual(exp.flow_events);
  });

  it('suspending during revert stops after the current revert; run() again finishes the revert and rejects', async () => {
    const rec = new Recorder();
    const ref: { e?: Engine } = {};
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: 'A' }),
      rec.t('b', { ret: 'B', duringRevert: () => ref.e!.suspend() }),
      rec.t('c', { fail: 'c failed' }),
    );
    const e = new Engine(f, { executor });
    ref.e = e;

    const p1 = await runEngine(e, rec);
    const p1States = { ...p1.atom_states };
    const p2 = await runEngine(e, rec);

    const exp = R['suspend_during_revert'] as unknown as { first: Phase; second: Phase };
    expect(p1.raised).toBeNull();
    expect(p1.events).toEqual(exp.first.events);
    expect(p1.flow_events).toEqual(exp.first.flow_events);
    expect(p1States).toEqual(exp.first.atom_states); // a still SUCCESS
    expect(p2.events).toEqual(exp.second.events); // a REVERTING, a REVERTED
    expect(p2.flow_events).toEqual(exp.second.flow_events);
    expect(shape(p2.raised as never)).toEqual(exp.second.raised); // the original error
    expect(p2.atom_states).toEqual(exp.second.atom_states);
  });

  it.each([
    ['flow_events_success', (rec: Recorder) => new LinearFlow('f').add(rec.t('a'))],
    [
      'flow_events_reverted',
      (rec: Recorder) => new LinearFlow('f').add(rec.t('a'), rec.t('b', { fail: 'b failed' })),
    ],
    [
      'flow_events_revert_failure',
      (rec: Recorder) =>
        new LinearFlow('f').add(
          rec.t('a', { revertFail: 'a revert failed' }),
          rec.t('b', { fail: 'b failed' }),
        ),
    ],
  ] as const)('announces the flow transitions of %s', async (name, build) => {
    const rec = new Recorder();

    const o = await runEngine(new Engine(build(rec), { executor }), rec);

    const exp = R[name]!;
    expect(o.flow_events).toEqual(exp.flow_events);
    expect(o.events).toEqual(exp.events);
    expect(o.flow_state).toBe(exp.flow_state);
  });

  it('run() on a finished SUCCESS flow runs nothing again', async () => {
    const rec = new Recorder();
    const e = new Engine(new LinearFlow('f').add(rec.t('a', { ret: 'A', provides: 'x' })), { executor });
    await runEngine(e, rec);

    const again = await runEngine(e, rec);

    const exp = R['run_again_after_success']!;
    expect(again.calls).toEqual([]);
    expect(again.events).toEqual(exp.events);
    expect(again.flow_state).toBe('SUCCESS');
  });

  it('suspend() before run() does not stop a later run()', async () => {
    const rec = new Recorder();
    const e = new Engine(new LinearFlow('f').add(rec.t('a', { ret: 'A' })), { executor });
    let suspendError: unknown;
    try {
      e.suspend();
    } catch (err) {
      suspendError = err;
    }

    const o = await runEngine(e, rec);

    const exp = R['suspend_before_run']!;
    expect(exp['suspend_raised']).toMatchObject({ class: 'InvalidState' }); // TaskFlow refuses it
    expect(suspendError === undefined || (suspendError as Error).name === 'InvalidState').toBe(true);
    expect(o.flow_state).toBe('SUCCESS');
    expect(o.events).toEqual(exp.events);
  });

  it('suspending inside a retried sub-flow and resuming in a new engine keeps the retry history', async () => {
    const backend = new MemoryBackend();
    const ref: { e?: Engine } = {};
    const build = (rec: Recorder) =>
      new LinearFlow('f', retries.times(rec, 3, { name: 'r', provides: 'attempt' })).add(
        rec.t('b', {
          requires: ['attempt'],
          fail: (kw) =>
            (kw['attempt'] as number) < 2 ? `attempt ${String(kw['attempt'])} failed` : undefined,
          ret: (kw: Record<string, unknown>) => kw['attempt'],
          provides: 'bv',
          during: () => {
            if (ref.e && (ref.e.storage.fetch('attempt') as number) === 2) ref.e.suspend();
          },
        }),
        rec.t('c', {
          requires: ['bv'],
          ret: (kw: Record<string, unknown>) => (kw['bv'] as number) * 10,
          provides: 'cv',
        }),
      );
    const rec1 = new Recorder();
    const e1 = new Engine(build(rec1), { executor, backend });
    ref.e = e1;
    const p1 = await runEngine(e1, rec1);
    const p1History = histView(e1.storage.getRetryHistory('r'));
    ref.e = undefined;
    const stored = JSON.parse(JSON.stringify(await backend.getFlowDetail(e1.uuid))) as FlowDetail;

    const rec2 = new Recorder();
    const e2 = new Engine(build(rec2), { executor, backend, flowDetail: stored });
    const p2 = await runEngine(e2, rec2);

    const exp = loadRecorded('resume_retry')['suspend_in_retry_resume_new_engine'] as unknown as {
      first: Phase & { history: unknown };
      second: Phase & { history: { result: unknown; failures: string[] }[] };
    };
    expect(p1.events).toEqual(exp.first.events);
    expect(p1.flow_events).toEqual(exp.first.flow_events);
    expect(p1History).toEqual(exp.first.history);
    expect(p2.raised).toBeNull();
    expect(p2.events).toEqual(exp.second.events); // only c runs
    expect(p2.calls).toEqual([{ op: 'execute', atom: 'c', args: { bv: 2 } }]);
    expect(p2.results).toEqual(exp.second.results);
    // TaskFlow 5.0's memory backend mangles attempt 1's result into a serialised Failure dict on reload
    // (a TaskFlow bug); the history must still hold both attempts, the first one failed by b.
    expect(histView(e2.storage.getRetryHistory('r'))).toEqual(exp.first.history);
    expect(exp.second.history.map((h) => h.failures)).toEqual([['b'], []]);
  });

  it("resumes a suspended revert in a new engine even if the failed task is gone from the flow (TaskFlow's test_suspend_and_revert_even_if_task_is_gone)", async () => {
    const backend = new MemoryBackend();
    const rec = new Recorder();
    const ref: { e?: Engine } = {};
    const f1 = new LinearFlow('linear').add(
      rec.t('a', { ret: 'A' }),
      rec.t('b', { ret: 'B', duringRevert: () => ref.e!.suspend() }),
      rec.t('c', { fail: 'Woot!' }),
    );
    const e1 = new Engine(f1, { executor, backend });
    ref.e = e1;
    const p1 = await runEngine(e1, rec);
    const stored = JSON.parse(JSON.stringify(await backend.getFlowDetail(e1.uuid))) as FlowDetail;

    const rec2 = new Recorder();
    const f2 = new LinearFlow('linear').add(rec2.t('a', { ret: 'A' }), rec2.t('b', { ret: 'B' }));
    const e2 = new Engine(f2, { executor, backend, flowDetail: stored });
    const p2 = await runEngine(e2, rec2);

    expect(p1.events).toEqual([
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
    expect(p1.flow_state).toBe('SUSPENDED');
    expect(p2.events).toEqual(['a REVERTING', 'a REVERTED']);
    expect(p2.raised?.message).toBe('Woot!'); // the persisted failure of the vanished task is re-raised
    expect(p2.flow_state).toBe('REVERTED');
  });

  it('keeps atom-level inject values out of the stored results (TaskFlow test_argument_injection)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('sum', {
        requires: ['x', 'y', 'z'],
        inject: { x: 1, y: 4, z: 9 },
        provides: 'result',
        ret: (kw: Record<string, unknown>) => (kw['x'] as number) + (kw['y'] as number) + (kw['z'] as number),
      }),
    );

    const o = await runEngine(new Engine(f, { executor }), rec);

    expect(o.results).toEqual({ result: 14 });
  });

  it('resumes a suspended revert in a new engine (same flow) and rejects with the persisted original error', async () => {
    const backend = new MemoryBackend();
    const ref: { e?: Engine } = {};
    const build = (rec: Recorder, suspendOnRevert: boolean) =>
      new LinearFlow('linear').add(
        rec.t('a', { ret: 'A' }),
        rec.t('b', { ret: 'B', duringRevert: suspendOnRevert ? () => ref.e!.suspend() : undefined }),
        rec.t('c', { fail: 'Woot!' }),
      );
    const e1 = new Engine(build(new Recorder(), true), { executor, backend });
    ref.e = e1;
    await runEngine(e1, new Recorder());
    const stored = JSON.parse(JSON.stringify(await backend.getFlowDetail(e1.uuid))) as FlowDetail;

    const rec2 = new Recorder();
    const p2 = await runEngine(
      new Engine(build(rec2, false), { executor, backend, flowDetail: stored }),
      rec2,
    );

    expect(p2.events).toEqual(['a REVERTING', 'a REVERTED']);
    expect(p2.calls.map((c) => `${c.op} ${c.atom}`)).toEqual(['revert a']);
    expect(p2.raised?.message).toBe('Woot!');
    expect(p2.raised?.class).toBe('Boom'); // rebuilt from the persisted Failure: class name kept
    expect(p2.flow_state).toBe('REVERTED');
  });
});
