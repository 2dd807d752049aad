/**
 * Conformance: retry controllers, their decisions, scope, nesting and history (python/retries.py, TaskFlow 5.0).
 */
import { LinearFlow, NotFound, UnorderedFlow } from '../../../../src/taskflow';
import {
  callsPerAtom,
  EXECUTORS,
  histView,
  loadRecorded,
  perAtom,
  Recorder,
  retries,
  run,
  shape,
} from './harness';

const R = loadRecorded('retries');

const failUntil =
  (n: number, key = 'attempt') =>
  (kw: Record<string, unknown>) =>
    (kw[key] as number) < n ? `attempt ${String(kw[key])} failed` : undefined;

describe.each(EXECUTORS)('retries (%s executor)', (executor) => {
  it('Times: RETRY reverts the sub-flow and runs it again, then succeeds', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.times(rec, 3, { name: 'r', provides: 'attempt' })).add(
      rec.t('a', { ret: 'A', provides: 'x' }),
      rec.t('b', {
        requires: ['attempt', 'x'],
        fail: failUntil(2),
        ret: (kw: Record<string, unknown>) => kw['attempt'],
        provides: 'y',
      }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['times_retry_then_success']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(histView(o.engine.storage.getRetryHistory('r'))).toEqual(exp['history']);
  });

  it('Times: keeps one history entry per attempt (the last one without failures)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.times(rec, 3, { name: 'r', provides: 'attempt' })).add(
      rec.t('b', {
        requires: ['attempt'],
        fail: failUntil(3),
        ret: (kw: Record<string, unknown>) => kw['attempt'],
        provides: 'res',
      }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['times_history_two_failures']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(histView(o.engine.storage.getRetryHistory('r'))).toEqual(exp['history']);
    expect(o.results).toEqual(exp.results);
  });

  it('Times exhausted: REVERT with no parent retry reverts the flow and rejects with the last error; history is cleared', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.times(rec, 2, { name: 'r', provides: 'attempt' })).add(
      rec.t('a', { ret: 'A' }),
      rec.t('b', { requires: ['attempt'], fail: (kw) => `attempt ${String(kw['attempt'])} failed` }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['times_exhausted_reverts']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe('REVERTED');
    expect(shape(o.raised)).toEqual(exp.raised);
    expect(histView(o.engine.storage.getRetryHistory('r'))).toEqual(exp['history']); // []
  });

  it('REVERT of an inner retry with no parent retry reverts only its sub-flow (TaskFlow without deferReverts)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer').add(
      rec.t('pre', { ret: 'P' }),
      new LinearFlow('inner', retries.times(rec, 2, { name: 'r', provides: 'attempt' })).add(
        rec.t('b', { requires: ['attempt'], fail: (kw) => `attempt ${String(kw['attempt'])} failed` }),
      ),
      rec.t('post'),
    );

    const o = await run(f, rec, { executor });

    const exp = R['times_inner_exhausted_outer_reverted']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states); // pre stays SUCCESS, post PENDING
    expect(o.flow_state).toBe(exp.flow_state); // REVERTED
    expect(shape(o.raised)).toEqual(exp.raised);
  });

  it('AlwaysRevert without a parent retry: only the sub-flow reverts', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer').add(
      rec.t('pre', { ret: 'P' }),
      new LinearFlow('inner', retries.alwaysRevert(rec, { name: 'r' })).add(
        rec.t('b', { ret: 'B' }),
        rec.t('c', { fail: 'c failed' }),
      ),
      rec.t('post'),
    );

    const o = await run(f, rec, { executor });

    const exp = R['always_revert_no_parent']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe(exp.flow_state);
    expect(shape(o.raised)).toEqual(exp.raised);
  });

  it('AlwaysRevert with deferReverts: the enclosing flow reverts too', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer').add(
      rec.t('pre', { ret: 'P' }),
      new LinearFlow('inner', retries.alwaysRevert(rec, { name: 'r' })).add(
        rec.t('b', { ret: 'B' }),
        rec.t('c', { fail: 'c failed' }),
      ),
    );

    const o = await run(f, rec, { executor, deferReverts: true });

    const exp = R['always_revert_defer_reverts']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(shape(o.raised)).toEqual(exp.raised);
  });

  it('REVERT defers to a parent retry, which retries the whole outer sub-flow', async () => {
    const rec = new Recorder();
    const f = new LinearFlow(
      'outer',
      retries.times(rec, 2, { name: 'r_outer', provides: 'outer_attempt' }),
    ).add(
      rec.t('pre', { ret: 'P' }),
      new LinearFlow('inner', retries.alwaysRevert(rec, { name: 'r_inner' })).add(
        rec.t('b', {
          requires: ['outer_attempt'],
          fail: (kw) =>
            (kw['outer_attempt'] as number) < 2
              ? `outer attempt ${String(kw['outer_attempt'])} failed`
              : undefined,
        }),
      ),
    );

    const o = await run(f, rec, { executor });

    const exp = R['always_revert_defers_to_parent_retry']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
    expect(histView(o.engine.storage.getRetryHistory('r_outer'))).toEqual(exp['history_outer']);
    expect(histView(o.engine.storage.getRetryHistory('r_inner'))).toEqual(exp['history_inner']);
  });

  it('REVERT_ALL (AlwaysRevertAll) ignores the parent retry and reverts everything', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer', retries.times(rec, 3, { name: 'r_outer' })).add(
      rec.t('pre', { ret: 'P' }),
      new LinearFlow('inner', retries.alwaysRevertAll(rec, { name: 'r_inner' })).add(
        rec.t('b', { fail: 'b failed' }),
      ),
    );

    const o = await run(f, rec, { executor });

    const exp = R['always_revert_all_ignores_parent']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe('REVERTED');
    expect(shape(o.raised)).toEqual(exp.raised);
  });

  it('AlwaysRevertAll at top level reverts everything', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.alwaysRevertAll(rec, { name: 'r' })).add(
      rec.t('a', { ret: 'A' }),
      rec.t('b', { fail: 'b failed' }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['always_revert_all_top']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states);
  });

  it('Times(revertAll) exhausted inside an outer Times: everything reverts, the outer retry is not consulted', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer', retries.times(rec, 3, { name: 'r_outer' })).add(
      rec.t('pre', { ret: 'P' }),
      new LinearFlow('inner', retries.times(rec, 2, { name: 'r_inner', revertAll: true })).add(
        rec.t('b', { fail: 'b failed' }),
      ),
    );

    const o = await run(f, rec, { executor });

    const exp = R['times_revert_all_exhausted']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states);
  });

  it('nested Times: the inner retry runs out, the outer retries and the inner gets fresh attempts', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer', retries.times(rec, 2, { name: 'r_outer', provides: 'oa' })).add(
      rec.t('pre', { ret: 'P' }),
      new LinearFlow('inner', retries.times(rec, 2, { name: 'r_inner', provides: 'ia' })).add(
        rec.t('b', { requires: ['oa', 'ia'], fail: (kw) => `o${String(kw['oa'])} i${String(kw['ia'])}` }),
      ),
    );

    const o = await run(f, rec, { executor });

    const exp = R['nested_times']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe(exp.flow_state);
    expect(shape(o.raised)).toEqual(exp.raised);
  });

  it('nested Times with deferReverts: outer exhaustion reverts everything', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer', retries.times(rec, 2, { name: 'r_outer', provides: 'oa' })).add(
      rec.t('pre', { ret: 'P' }),
      new LinearFlow('inner', retries.times(rec, 2, { name: 'r_inner', provides: 'ia' })).add(
        rec.t('b', { requires: ['oa', 'ia'], fail: (kw) => `o${String(kw['oa'])} i${String(kw['ia'])}` }),
      ),
    );

    const o = await run(f, rec, { executor, deferReverts: true });

    const exp = R['nested_times_defer_reverts']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states);
  });

  it('ForEach provides each value in turn until the sub-flow succeeds', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.forEach(rec, [1, 2, 3], { name: 'r', provides: 'v' })).add(
      rec.t('b', {
        requires: ['v'],
        fail: (kw) => ((kw['v'] as number) < 3 ? `v=${String(kw['v'])} failed` : undefined),
        ret: (kw: Record<string, unknown>) => (kw['v'] as number) * 10,
        provides: 'out',
      }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['foreach_until_success']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
    expect(histView(o.engine.storage.getRetryHistory('r'))).toEqual(exp['history']);
  });

  it('ForEach out of values: REVERT, the last error is raised', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.forEach(rec, ['x', 'y'], { name: 'r', provides: 'v' })).add(
      rec.t('b', { requires: ['v'], fail: (kw) => `v=${String(kw['v'])} failed` }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['foreach_runs_out']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(shape(o.raised)).toEqual(exp.raised);
  });

  it('ForEach with no values fails with a clear NotFound error', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.forEach(rec, [], { name: 'r', provides: 'v' })).add(
      rec.t('b', { requires: ['v'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['foreach_empty']!;
    expect(o.raised?.error).toBeInstanceOf(NotFound);
    expect(o.raised?.message).toBe(exp.raised!.message);
    expect(o.events).toEqual(exp.events);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe(exp.flow_state);
  });

  it('ParameterizedForEach takes its values from storage (rebound list)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.pForEach(rec, { name: 'r', provides: 'v', rebind: ['vals'] })).add(
      rec.t('b', {
        requires: ['v'],
        fail: (kw) => (kw['v'] !== 'ok' ? `v=${String(kw['v'])} failed` : undefined),
        ret: (kw: Record<string, unknown>) => kw['v'],
        provides: 'out',
      }),
    );

    const o = await run(f, rec, { executor, store: { vals: ['bad', 'ok', 'never'] } });

    const exp = R['parameterized_foreach']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
    expect(histView(o.engine.storage.getRetryHistory('r'))).toEqual(exp['history']);
  });

  it('ParameterizedForEach runs out', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.pForEach(rec, { name: 'r', provides: 'v' })).add(
      rec.t('b', { requires: ['v'], fail: (kw) => `v=${String(kw['v'])} failed` }),
    );

    const o = await run(f, rec, { executor, store: { values: [1, 2] } });

    const exp = R['parameterized_foreach_runs_out']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(shape(o.raised)).toEqual(exp.raised);
    expect(o.atom_states).toEqual(exp.atom_states);
  });

  it('retries an unordered sub-flow (siblings reverted and re-run)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.times(rec, 2, { name: 'r', provides: 'attempt' })).add(
      new UnorderedFlow('u').add(
        rec.t('a', { ret: 'A' }),
        rec.t('b', { requires: ['attempt'], fail: failUntil(2) }),
      ),
    );

    const o = await run(f, rec, { executor });

    const exp = R['times_unordered_parallel']!;
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    expect(callsPerAtom(o.calls)).toEqual(callsPerAtom(exp.calls!));
    expect(o.results).toEqual(exp.results);
    expect(o.flow_state).toBe('SUCCESS');
  });
});
