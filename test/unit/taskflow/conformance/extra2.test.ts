/**
 * Conformance, third batch (python/extra2.py, TaskFlow 5.0): NEIGHBORS decider depth, neverResolve with a retry,
 * a retry named like a task, suspend with running parallel siblings, a graph branch failing before a successor ran.
 */
import {
  DuplicateAtom,
  Engine,
  GraphFlow,
  LinearFlow,
  Times,
  UnorderedFlow,
  task,
} from '../../../../src/taskflow';
import { EXECUTORS, loadRecorded, perAtom, Recorder, retries, run, runEngine, shape } from './harness';

const R = loadRecorded('extra2');

describe.each(EXECUTORS)('conformance extras 2 (%s executor)', (executor) => {
  it('decider depth NEIGHBORS ignores the target and its direct successors only', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g');
    const [a, c, d, e] = [
      rec.t('a', { ret: 'A' }),
      rec.t('c', { ret: 'C' }),
      rec.t('d', { ret: 'D' }),
      rec.t('e', { ret: 'E' }),
    ];
    g.add(a, c, d, e);
    g.link(a, c, { decider: () => false, deciderDepth: 'NEIGHBORS' });
    g.link(c, d);
    g.link(d, e);

    const o = await run(g, rec, { executor });

    const exp = R['decider_depth_neighbors']!;
    expect(o.events).toEqual(exp.events);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.calls).toEqual(exp.calls);
  });

  it('neverResolve with a retry: no retry and no revert, the flow ends FAILURE', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.times(rec, 3, { name: 'r', provides: 'n' })).add(
      rec.t('a', { ret: 'A' }),
      rec.t('b', { requires: ['n'], fail: (kw) => `b n=${String(kw['n'])}` }),
    );

    const o = await run(f, rec, { executor, neverResolve: true });

    const exp = R['never_resolve_with_retry']!;
    expect(o.events).toEqual(exp.events);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe('FAILURE');
    expect(shape(o.raised)).toEqual(exp.raised);
    expect(o.calls.filter((c) => c.op !== 'retry-execute')).toEqual(exp.calls);
  });

  it('refuses a retry named like one of its atoms', async () => {
    const rec = new Recorder();
    let err: unknown;
    try {
      const o = await run(new LinearFlow('f', new Times(2, { name: 'a' })).add(rec.t('a')), rec, {
        executor,
      });
      err = o.raised?.error;
    } catch (e) {
      err = e;
    }

    expect(R['retry_task_name_clash']!.raised!.class).toBe('Duplicate');
    expect(err).toBeInstanceOf(DuplicateAtom);
    expect(rec.calls).toEqual([]);
  });

  it('a graph branch that fails before a sibling branch successor ran: completed atoms revert, the never-run one does not', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g').add(
      rec.t('a', { ret: 'A', provides: 'x' }),
      rec.t('b', { requires: ['x'], fail: 'b failed' }),
      rec.t('c', { requires: ['x'], ret: 'C', provides: 'y' }),
      rec.t('d', { requires: ['y'], ret: 'D' }),
    );

    const o = await run(g, rec, { executor });

    const exp = R['graph_branch_failure_pending_successor']!;
    expect(shape(o.raised)).toEqual(exp.raised);
    expect(o.flow_state).toBe('REVERTED');
    // Issue #3: "atoms that never ran are not reverted". (TaskFlow 5.0 calls d's revert with result None and
    // marks it REVERTED although d never executed — recorded in extra2.json; we follow the issue here.)
    expect(exp.calls!.filter((c) => c.op === 'revert').map((c) => c.atom)).toContain('d');
    expect(
      o.calls
        .filter((c) => c.op === 'execute')
        .map((c) => c.atom)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    const reverted = o.calls.filter((c) => c.op === 'revert').map((c) => c.atom);
    expect(new Set(reverted.slice(0, 2))).toEqual(new Set(['b', 'c']));
    expect(reverted.slice(2)).toEqual(['a']);
    expect(o.atom_states).toEqual({ a: 'REVERTED', b: 'REVERTED', c: 'REVERTED', d: 'PENDING' });
    expect(o.events.filter((ev) => ev.startsWith('d '))).toEqual([]);
  });
});

describe.each(EXECUTORS)('atoms that never ran (%s executor)', (executor) => {
  it('are not reverted when a sibling branch fails while their predecessor had already finished', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g').add(
      rec.t('start', { ret: 'S', provides: 's' }),
      new UnorderedFlow('u').add(
        new LinearFlow('l1').add(
          rec.t('a1', { requires: ['s'], ret: 1, provides: 'pa1' }),
          rec.t('a2', { requires: ['pa1'], ret: 2, provides: 'qa' }),
        ),
        new LinearFlow('l2').add(
          rec.t('b1', { requires: ['s'], ret: 1, provides: 'pb1' }),
          rec.t('b2', { requires: ['pb1'], ret: 2, provides: 'qb' }),
        ),
        rec.t('c', { requires: ['s'], fail: 'c failed', provides: 'qc' }),
      ),
      rec.t('end', { requires: ['qa', 'qb', 'qc'] }),
    );

    const o = await run(g, rec, { executor });

    // Issue #3 §2: "Atoms that never ran are not reverted." TaskFlow 5.0 is not deterministic here: depending on
    // thread timing it leaves a2/b2 PENDING or calls their revert with result None (5 runs: a2 REVERTED 3×, b2 4×;
    // one such recording is extra2.json#nested_pending_successors_not_reverted). We hold the engine to the issue.
    expect(shape(o.raised)).toEqual(R['nested_pending_successors_not_reverted']!.raised);
    expect(o.flow_state).toBe('REVERTED');
    const executed = o.calls.filter((c) => c.op === 'execute').map((c) => c.atom);
    const reverted = o.calls.filter((c) => c.op === 'revert').map((c) => c.atom);
    expect([...reverted].sort()).toEqual([...executed].sort());
    for (const never of ['a2', 'b2', 'end'].filter((a) => !executed.includes(a)))
      expect(o.atom_states[never]).toBe('PENDING');
  });
});

describe('suspend with parallel siblings', () => {
  it('lets the running sibling finish and starts nothing after', async () => {
    const ref: { e?: Engine } = {};
    const f = new LinearFlow('f').add(
      new UnorderedFlow('u').add(
        task('s', () => {
          ref.e!.suspend();
          return 'S';
        }),
        task('slow', async () => {
          await new Promise((r) => setTimeout(r, 50));
          return 'SLOW';
        }),
      ),
      task('after', () => 'AFTER'),
    );
    const e = new Engine(f, { executor: 'parallel' });
    ref.e = e;

    const o = await runEngine(e, new Recorder());

    const exp = R['suspend_parallel_siblings']!;
    expect(o.raised).toBeNull();
    expect(o.flow_state).toBe(exp.flow_state);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
  });
});
