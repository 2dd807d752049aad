/**
 * Conformance: deferReverts combinations (python/defer.py, TaskFlow 5.0).
 */
import { LinearFlow, UnorderedFlow } from '../../../../src/taskflow';
import { callsPerAtom, EXECUTORS, loadRecorded, perAtom, Recorder, retries, run, shape } from './harness';

const R = loadRecorded('defer');

describe.each(EXECUTORS)('deferReverts (%s executor)', (executor) => {
  it('inner AlwaysRevert under an outer Times: the outer retry still retries', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer', retries.times(rec, 2, { name: 'r_outer', provides: 'oa' })).add(
      rec.t('pre', { ret: 'P' }),
      new LinearFlow('inner', retries.alwaysRevert(rec, { name: 'r_inner' })).add(
        rec.t('b', {
          requires: ['oa'],
          fail: (kw) => ((kw['oa'] as number) < 2 ? `b oa=${String(kw['oa'])}` : undefined),
        }),
      ),
    );

    const o = await run(f, rec, { executor, deferReverts: true });

    const exp = R['defer_inner_always_revert_outer_times']!;
    expect(o.events).toEqual(exp.events);
    expect(o.results).toEqual(exp.results);
  });

  it.each([
    ['defer_inner_times_unordered_sibling', true],
    ['nodefer_inner_times_unordered_sibling', false],
  ] as const)('%s: an exhausted inner retry next to an unordered sibling', async (name, deferReverts) => {
    const rec = new Recorder();
    const f = new LinearFlow('top').add(
      rec.t('pre', { ret: 'P' }),
      new UnorderedFlow('u').add(
        new LinearFlow('inner', retries.times(rec, 2, { name: 'r', provides: 'n' })).add(
          rec.t('b', { requires: ['n'], fail: 'b failed' }),
        ),
        rec.t('sib', { ret: 'S' }),
      ),
      rec.t('post'),
    );

    const o = await run(f, rec, { executor, deferReverts });

    const exp = R[name]!;
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe(exp.flow_state);
    expect(shape(o.raised)).toEqual(exp.raised);
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    const taskCalls = (cs: readonly { op: string; atom: string }[]) =>
      callsPerAtom(
        cs.filter((c) => c.op === 'execute' || c.op === 'revert').map((c) => ({ op: c.op, atom: c.atom })),
      );
    expect(taskCalls(o.calls)).toEqual(taskCalls(exp.calls!)); // the recording used plain retries (no retry calls)
  });
});
