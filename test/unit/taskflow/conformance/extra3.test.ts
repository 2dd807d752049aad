/**
 * Conformance, fourth batch (python/extra3.py, TaskFlow 5.0): retries whose own execute/revert fail, a retry used
 * as a plain atom, a graph atom depending on a retried sub-flow, re-running a reverted flow with a retry.
 */
import {
  Decision,
  Engine,
  GraphFlow,
  LinearFlow,
  Retry,
  Times,
  UnorderedFlow,
  type History,
} from '../../../../src/taskflow';
import { EXECUTORS, loadRecorded, Recorder, retries, run, runEngine, shape } from './harness';

const R = loadRecorded('extra3');

class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

class FailingRetry extends Retry {
  execute(): never {
    throw new ValueError('OMG');
  }
  onFailure(): Decision {
    return Decision.REVERT;
  }
}

class NastyFailingRetry extends FailingRetry {
  override revert(): never {
    throw new ValueError('WOOT');
  }
}

describe.each(EXECUTORS)('conformance extras 3 (%s executor)', (executor) => {
  it("a retry whose execute throws: the flow reverts, the error is raised, the history records the retry's failure", async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', new FailingRetry('r')).add(rec.t('a', { ret: 'A' }));

    const o = await run(f, rec, { executor });

    const exp = R['retry_execute_fails']!;
    expect(shape(o.raised)).toEqual(exp.raised);
    expect(o.events).toEqual(exp.events);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe(exp.flow_state);
    const h: History = o.engine.storage.getRetryHistory('r');
    const eh = exp['history'] as { len: number; caused_by_retry: boolean; caused_by_no_retry: boolean };
    expect(h.length).toBe(eh.len);
    expect(h.failure?.message).toBe('OMG');
    expect(h.causedBy('ValueError', { includeRetry: true })).toBe(eh.caused_by_retry);
    expect(h.causedBy('ValueError')).toBe(eh.caused_by_no_retry);
  });

  it('a retry whose execute and revert throw: REVERT_FAILURE, flow FAILURE, the revert error is reported', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', new NastyFailingRetry('r')).add(rec.t('a', { ret: 'A' }));

    const o = await run(f, rec, { executor });

    const exp = R['retry_revert_fails']!;
    expect(o.events).toEqual(exp.events);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe('FAILURE');
    expect(o.raised?.message).toContain(exp.raised!.message); // 'WOOT' (alone, or inside a WrappedFailure)
  });

  it('refuses a retry controller added as a plain atom, before anything runs', async () => {
    const rec = new Recorder();
    let err: unknown;
    try {
      const o = await run(
        new LinearFlow('f').add(new Times(2, { name: 'r', provides: 'x' }) as never, rec.t('b')),
        rec,
        { executor },
      );
      err = o.raised?.error;
    } catch (e) {
      err = e;
    }

    expect(R['retry_used_as_task']!.raised!.class).toBe('TypeError');
    expect(err).toBeInstanceOf(Error);
    expect(rec.calls).toEqual([]);
  });

  it('a graph atom that needs a value from a retried sub-flow runs once, after the retry succeeded', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g').add(
      rec.t('a', { requires: ['x'], ret: 'A' }),
      new LinearFlow('sub', retries.times(rec, 2, { name: 'r', provides: 'n' })).add(
        rec.t('b', {
          ret: (kw: Record<string, unknown>) => (kw['n'] as number) * 11,
          requires: ['n'],
          provides: 'x',
        }),
        rec.t('c', {
          requires: ['n'],
          fail: (kw) => ((kw['n'] as number) < 2 ? `c n=${String(kw['n'])}` : undefined),
        }),
      ),
    );

    const o = await run(g, rec, { executor });

    const exp = R['graph_depends_on_retried_subflow']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls.filter((c) => c.op === 'execute' || c.op === 'revert')).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
  });

  it('running a reverted flow with a retry again starts the retry afresh and fails the same way', async () => {
    const rec = new Recorder();
    const e = new Engine(
      new LinearFlow('f', retries.times(rec, 2, { name: 'r', provides: 'n' })).add(
        rec.t('b', { fail: 'b failed' }),
      ),
      { executor },
    );
    const first = await runEngine(e, rec);

    const second = await runEngine(e, rec);

    const exp = R['rerun_reverted_flow_with_retry'] as unknown as {
      first: { raised: unknown; events: string[] };
      second_raised: unknown;
      second_calls: { op: string; atom: string }[];
      second_flow_state: string;
    };
    expect(first.events).toEqual(exp.first.events);
    expect(shape(second.raised)).toEqual(exp.second_raised);
    expect(second.calls.filter((c) => c.op === 'execute' || c.op === 'revert')).toEqual(exp.second_calls);
    expect(second.flow_state).toBe(exp.second_flow_state);
  });
});

describe.each(EXECUTORS)('retry scope (%s executor)', (executor) => {
  const R4 = loadRecorded('extra4');

  it("a retry's provides are visible to atoms after its sub-flow", async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer').add(
      new LinearFlow('inner', new Times(2, { name: 'r', provides: 'n' })).add(rec.t('a', { ret: 'A' })),
      rec.t('b', { requires: ['n'], ret: (kw: Record<string, unknown>) => kw['n'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R4['retry_provides_visible_after_subflow']!;
    expect(o.raised).toBeNull();
    expect(o.events).toEqual(exp.events);
    expect(o.calls.find((c) => c.atom === 'b')).toEqual({ op: 'execute', atom: 'b', args: { n: 1 } });
  });

  it('a retry requiring a name nobody provides is a missing dependency naming the retry', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.pForEach(rec, { name: 'r', provides: 'v' })).add(rec.t('a'));

    const o = await run(f, rec, { executor });

    const exp = R4['retry_missing_requirement']!;
    expect(o.raised?.class).toBe('MissingDependencies');
    expect(o.raised?.error).toMatchObject({ atom: 'r', missing: exp.raised!.missing });
    expect(o.calls).toEqual([]);
  });

  it("a retry's provides are not visible to an unordered sibling", async () => {
    const rec = new Recorder();
    const f = new UnorderedFlow('u').add(
      new LinearFlow('inner', new Times(2, { name: 'r', provides: 'n' })).add(rec.t('a', { ret: 'A' })),
      rec.t('b', { requires: ['n'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R4['retry_provides_not_visible_to_unordered_sibling']!;
    expect(o.raised?.class).toBe('MissingDependencies');
    expect(o.raised?.error).toMatchObject({ atom: 'b', missing: exp.raised!.missing });
    expect(o.calls).toEqual([]);
  });
});
