/**
 * Conformance, second batch (python/extra.py, TaskFlow 5.0): retries with requirements, retries on graph and
 * unordered flows, deep nesting, several failures inside one retried attempt, revert failure after parallel failures.
 */
import { GraphFlow, LinearFlow, UnorderedFlow, WrappedFailure } from '../../../../src/taskflow';
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

const R = loadRecorded('extra');

describe.each(EXECUTORS)('conformance extras (%s executor)', (executor) => {
  it('a retry can require (rebind) a value provided by an earlier atom', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer').add(
      rec.t('mk', { ret: ['p', 'q', 'r'], provides: 'choices' }),
      new LinearFlow(
        'inner',
        retries.pForEach(rec, { name: 'r', provides: 'choice', rebind: { values: 'choices' } }),
      ).add(
        rec.t('use', {
          requires: ['choice'],
          fail: (kw) => (kw['choice'] !== 'q' ? `${String(kw['choice'])} bad` : undefined),
          ret: (kw: Record<string, unknown>) => String(kw['choice']).toUpperCase(),
          provides: 'used',
        }),
      ),
    );

    const o = await run(f, rec, { executor });

    const exp = R['retry_requires_earlier_value']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
    expect(histView(o.engine.storage.getRetryHistory('r'))).toEqual(exp['history']);
  });

  it('a retry on a graph flow resets IGNOREd atoms and re-decides them', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g', retries.times(rec, 2, { name: 'r', provides: 'attempt' }));
    const a = rec.t('a', {
      ret: (kw: Record<string, unknown>) => kw['attempt'],
      requires: ['attempt'],
      provides: 'av',
    });
    const skip = rec.t('skip', { ret: 'S' });
    const f = rec.t('f', {
      requires: ['attempt'],
      fail: (kw) => ((kw['attempt'] as number) < 2 ? `f attempt ${String(kw['attempt'])}` : undefined),
    });
    g.add(a, skip, f);
    g.link(a, skip, { decider: () => false });
    g.link(a, f);

    const o = await run(g, rec, { executor });

    const exp = R['graph_retry_with_ignored_atom']!;
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    expect(callsPerAtom(o.calls)).toEqual(callsPerAtom(exp.calls!));
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.results).toEqual(exp.results);
  });

  it('a retry on an unordered flow in the middle of three levels of nesting', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('top').add(
      rec.t('t0', { ret: 'T0', provides: 't0' }),
      new UnorderedFlow('mid', retries.times(rec, 2, { name: 'r_mid', provides: 'm' })).add(
        new LinearFlow('leafA').add(
          rec.t('a1', { requires: ['t0'], ret: 'A1', provides: 'a1' }),
          rec.t('a2', {
            requires: ['a1', 'm'],
            fail: (kw) => ((kw['m'] as number) < 2 ? `a2 m=${String(kw['m'])}` : undefined),
            ret: 'A2',
            provides: 'a2',
          }),
        ),
        new LinearFlow('leafB').add(rec.t('b1', { requires: ['t0'], ret: 'B1', provides: 'b1' })),
      ),
      rec.t('t1', { requires: ['a2', 'b1'], ret: 'T1' }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['deep_nesting_mid_retry']!;
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    expect(callsPerAtom(o.calls)).toEqual(callsPerAtom(exp.calls!));
    expect(o.results).toEqual(exp.results);
    expect(o.atom_states).toEqual(exp.atom_states);
  });

  it('two failures in one retried attempt: both land in that attempt of the history', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.times(rec, 2, { name: 'r', provides: 'n' })).add(
      new UnorderedFlow('u').add(
        rec.t('x1', {
          requires: ['n'],
          fail: (kw) => ((kw['n'] as number) < 2 ? `x1 n=${String(kw['n'])}` : undefined),
        }),
        rec.t('x2', {
          requires: ['n'],
          fail: (kw) => ((kw['n'] as number) < 2 ? `x2 n=${String(kw['n'])}` : undefined),
        }),
      ),
    );

    const o = await run(f, rec, { executor });

    const exp = R['retry_two_failures_in_one_attempt']!;
    expect(o.flow_state).toBe('SUCCESS');
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    expect(histView(o.engine.storage.getRetryHistory('r'))).toEqual(exp['history']);
    const byAtom = callsPerAtom(o.calls);
    // Like TaskFlow, reverts see the flow failures as cached when the first failure was handled (here: x1 only).
    expect(byAtom['x1']).toEqual(callsPerAtom(exp.calls!)['x1']);
    expect(byAtom['x2']).toEqual(callsPerAtom(exp.calls!)['x2']);
    // TaskFlow consults the retry once per failure (the last call sees both failures) and retries once.
    const decisions = byAtom['r']!.filter((c) => c.op === 'on_failure');
    expect(decisions.at(-1)).toEqual(
      callsPerAtom(exp.calls!)
        ['r']!.filter((c) => c.op === 'on_failure')
        .at(-1),
    );
    expect(byAtom['r']!.filter((c) => c.op === 'retry-execute').length).toBe(2);
  });

  it('a retry attached directly to an unordered flow', async () => {
    const rec = new Recorder();
    const f = new UnorderedFlow('u', retries.forEach(rec, [1, 2], { name: 'r', provides: 'v' })).add(
      rec.t('ok', { ret: 'OK' }),
      rec.t('needs2', {
        requires: ['v'],
        fail: (kw) => (kw['v'] !== 2 ? `v=${String(kw['v'])}` : undefined),
      }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['unordered_flow_with_retry']!;
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    expect(callsPerAtom(o.calls)).toEqual(callsPerAtom(exp.calls!));
    expect(o.results).toEqual(exp.results);
  });

  it('a revert failure after several parallel failures: REVERT_FAILURE, flow FAILURE, the revert error reported', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: 'A', revertFail: 'a revert failed' }),
      new UnorderedFlow('u').add(rec.t('b1', { fail: 'b1 failed' }), rec.t('b2', { fail: 'b2 failed' })),
    );

    const o = await run(f, rec, { executor });

    const exp = R['revert_failure_after_parallel_failures']!;
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe('FAILURE');
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    const messages =
      o.raised?.error instanceof WrappedFailure
        ? o.raised.error.failures.map((x) => x.message)
        : [shape(o.raised)?.message];
    expect(messages).toContain(exp.raised!.message);
  });

  it('a retry exhausted by two sibling failures per attempt rejects with a WrappedFailure of the last attempt', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.times(rec, 2, { name: 'r', provides: 'n' })).add(
      new UnorderedFlow('u').add(
        rec.t('x1', { requires: ['n'], fail: (kw) => `x1 n=${String(kw['n'])}` }),
        rec.t('x2', { requires: ['n'], fail: (kw) => `x2 n=${String(kw['n'])}` }),
      ),
    );

    const o = await run(f, rec, { executor });

    const exp = R['retry_exhausted_two_failures']!;
    expect(o.raised?.class).toBe(exp.raised!.class);
    expect(o.raised?.inner).toEqual(exp.raised!.inner);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe('REVERTED');
  });
});
