/**
 * Conformance: revert order and arguments, atoms that never ran, revert failures, several failures at once,
 * engine options (python/revert.py, recorded with TaskFlow 5.0).
 */
import { Engine, GraphFlow, LinearFlow, task, UnorderedFlow, WrappedFailure } from '../../../../src/taskflow';
import {
  Boom,
  callsPerAtom,
  EXECUTORS,
  loadRecorded,
  perAtom,
  Recorder,
  run,
  runEngine,
  shape,
} from './harness';

const R = loadRecorded('revert');

function lin(rec: Recorder) {
  return new LinearFlow('f').add(
    rec.t('a', { ret: 'A', provides: 'x' }),
    rec.t('b', { ret: 'B', requires: ['x'], provides: 'y' }),
    rec.t('c', { requires: ['y'], fail: 'c failed' }),
    rec.t('d', { requires: ['x'] }),
  );
}

describe.each(EXECUTORS)('revert (%s executor)', (executor) => {
  it('reverts the failing atom with its Failure, then completed atoms in reverse order with their own args and results', async () => {
    const rec = new Recorder();

    const o = await run(lin(rec), rec, { executor });

    const exp = R['linear_revert_order_and_args']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.flow_events).toEqual(exp.flow_events);
    expect(o.flow_state).toBe(exp.flow_state);
    expect(o.atom_states).toEqual(exp.atom_states); // d never ran: PENDING, not reverted
    expect(shape(o.raised)).toEqual(exp.raised); // the original error
    expect(o.raised?.error).toBeInstanceOf(Boom);
  });

  it('reverts only the failing atom when the first atom fails', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(rec.t('a', { fail: 'a failed' }), rec.t('b'));

    const o = await run(f, rec, { executor });

    const exp = R['first_atom_fails']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states);
  });

  it('reverts a graph in reverse topological order', async () => {
    const rec = new Recorder();
    const f = new GraphFlow('g').add(
      rec.t('a', { ret: 1, provides: 'x' }),
      rec.t('b', { ret: 2, requires: ['x'], provides: 'y' }),
      rec.t('c', { ret: 3, requires: ['x'], provides: 'z' }),
      rec.t('d', { requires: ['y', 'z'], fail: 'd failed' }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['graph_diamond_revert']!;
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    expect(callsPerAtom(o.calls)).toEqual(callsPerAtom(exp.calls!));
    const order = o.calls.filter((c) => c.op === 'revert').map((c) => c.atom);
    expect(order[0]).toBe('d');
    expect(new Set(order.slice(1, 3))).toEqual(new Set(['b', 'c']));
    expect(order[3]).toBe('a');
    expect(o.events.indexOf('a REVERTING')).toBeGreaterThan(
      Math.max(o.events.indexOf('b REVERTED'), o.events.indexOf('c REVERTED')),
    );
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(shape(o.raised)).toEqual(exp.raised);
  });

  it('gives revert the same (rebound, injected) arguments execute got', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: 'A', provides: 'x' }),
      rec.t('b', { ret: 'B', requires: ['v'], rebind: { v: 'x' }, inject: { w: 'W' } }),
      rec.t('c', { fail: 'c failed' }),
    );

    const o = await run(f, rec, { executor, store: { s: 1 } });

    const exp = R['revert_gets_rebound_args']!;
    expect(o.calls).toEqual(exp.calls);
  });

  describe('a revert that throws', () => {
    it('leaves that atom REVERT_FAILURE, the flow FAILURE, and stops further reverts (default)', async () => {
      const rec = new Recorder();
      const f = new LinearFlow('f').add(
        rec.t('a', { ret: 'A', provides: 'x' }),
        rec.t('b', { ret: 'B', revertFail: 'b revert failed' }),
        rec.t('c', { fail: 'c failed' }),
      );

      const o = await run(f, rec, { executor });

      const exp = R['revert_failure_stops']!;
      expect(o.events).toEqual(exp.events);
      expect(o.calls).toEqual(exp.calls); // a is never reverted
      expect(o.atom_states).toEqual(exp.atom_states);
      expect(o.flow_state).toBe('FAILURE');
      expect(o.flow_events).toEqual(exp.flow_events);
      // TaskFlow rethrows the revert error; the design asks that both errors be reported.
      const reportedMessages =
        o.raised?.error instanceof WrappedFailure
          ? o.raised.error.failures.map((x) => x.message)
          : [o.raised?.message];
      expect(reportedMessages).toContain(exp.raised!.message); // 'b revert failed'
    });

    it('reports both errors: the revert error and the original failure (DESIGN §2; STYLE §4 "never mask the original")', async () => {
      const rec = new Recorder();
      const f = new LinearFlow('f').add(
        rec.t('a', { ret: 'A', provides: 'x' }),
        rec.t('b', { ret: 'B', revertFail: 'b revert failed' }),
        rec.t('c', { fail: 'c failed' }),
      );

      const o = await run(f, rec, { executor });

      // Either a WrappedFailure holding both, or (TaskFlow-compatible) the revert error with the original as its cause.
      const err = o.raised?.error;
      const messages: string[] = [];
      if (err instanceof WrappedFailure) messages.push(...err.failures.map((x) => x.message));
      else {
        for (let c: unknown = err; c instanceof Error; c = (c as Error & { cause?: unknown }).cause)
          messages.push(c.message);
      }
      expect(messages).toContain('b revert failed');
      expect(messages).toContain('c failed');
      expect(o.engine.storage.getFailures()['c']?.message).toBe('c failed');
      expect(o.engine.storage.getRevertFailures()['b']?.message).toBe('b revert failed');
    });

    it('of the failing atom itself stops everything', async () => {
      const rec = new Recorder();
      const f = new LinearFlow('f').add(
        rec.t('a', { ret: 'A' }),
        rec.t('c', { fail: 'c failed', revertFail: 'c revert failed' }),
      );

      const o = await run(f, rec, { executor });

      const exp = R['revert_failure_of_failing_atom']!;
      expect(o.events).toEqual(exp.events);
      expect(o.calls).toEqual(exp.calls);
      expect(o.atom_states).toEqual(exp.atom_states);
      expect(o.flow_state).toBe(exp.flow_state);
    });

    it('inside an unordered flow still lets its already-scheduled sibling revert, but nothing before the flow', async () => {
      const rec = new Recorder();
      const f = new LinearFlow('f').add(
        rec.t('a', { ret: 'A' }),
        new UnorderedFlow('u').add(
          rec.t('b1', { ret: 1, revertFail: 'b1 revert failed' }),
          rec.t('b2', { ret: 2 }),
        ),
        rec.t('c', { fail: 'c failed' }),
      );

      const o = await run(f, rec, { executor });

      const exp = R['revert_failure_unordered_siblings']!;
      expect(o.atom_states).toEqual(exp.atom_states); // a SUCCESS, b1 REVERT_FAILURE, b2 REVERTED, c REVERTED
      expect(o.flow_state).toBe('FAILURE');
      expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    });

    it('with continueRevertOnFailure reverts the remaining atoms and reports every failure', async () => {
      const rec = new Recorder();
      const f = new LinearFlow('f').add(
        rec.t('a', { ret: 'A', provides: 'x' }),
        rec.t('b', { ret: 'B', revertFail: 'b revert failed' }),
        rec.t('c', { fail: 'c failed' }),
      );

      const o = await run(f, rec, { executor, continueRevertOnFailure: true });

      expect(o.calls.filter((c) => c.op === 'revert').map((c) => c.atom)).toEqual(['c', 'b', 'a']);
      expect(o.atom_states).toEqual({ a: 'REVERTED', b: 'REVERT_FAILURE', c: 'REVERTED' });
      expect(o.flow_state).toBe('FAILURE');
      expect(o.raised?.error).toBeInstanceOf(WrappedFailure);
      expect((o.raised?.error as WrappedFailure).failures.map((x) => x.message).sort()).toEqual([
        'b revert failed',
        'c failed',
      ]);
    });
  });

  it('rejects with a WrappedFailure holding every failure when unordered siblings fail', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: 'A' }),
      new UnorderedFlow('u').add(
        rec.t('b1', { fail: 'b1 failed' }),
        rec.t('b2', { fail: 'b2 failed' }),
        rec.t('b3', { ret: 3 }),
      ),
    );

    const o = await run(f, rec, { executor });

    // TaskFlow: both engines schedule all three siblings together, so both failures happen (serial and parallel).
    const exp =
      R[executor === 'parallel' ? 'parallel_two_failures_wrapped' : 'serial_two_failures_unordered']!;
    expect(o.raised?.class).toBe(exp.raised!.class); // WrappedFailure
    expect(o.raised?.inner).toEqual(exp.raised!.inner);
    expect(o.atom_states).toEqual(exp.atom_states); // all REVERTED
    expect(o.flow_state).toBe('REVERTED');
    const byAtom = callsPerAtom(o.calls);
    expect(byAtom['b1']!.map((c) => [c.op, c.result ?? null])).toEqual([
      ['execute', null],
      ['revert', { failure: 'Boom', message: 'b1 failed' }],
    ]);
    expect(byAtom['b2']!.map((c) => [c.op, c.result ?? null])).toEqual([
      ['execute', null],
      ['revert', { failure: 'Boom', message: 'b2 failed' }],
    ]);
    expect(byAtom['b3']!.map((c) => [c.op, c.result ?? null])).toEqual([
      ['execute', null],
      ['revert', 3],
    ]);
    expect(o.calls.at(-1)).toMatchObject({ op: 'revert', atom: 'a', result: 'A' });
  });

  it('neverResolve fails without reverting', async () => {
    const rec = new Recorder();

    const o = await run(lin(rec), rec, { executor, neverResolve: true });

    const exp = R['never_resolve']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe('FAILURE');
    expect(shape(o.raised)).toEqual(exp.raised);
  });

  it('deferReverts changes nothing without retries', async () => {
    const rec = new Recorder();

    const o = await run(lin(rec), rec, { executor, deferReverts: true });

    const exp = R['defer_reverts_no_retry']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
  });

  it('runs a REVERTED flow again from scratch on a second run()', async () => {
    const rec = new Recorder();
    const e = new Engine(lin(rec), { executor });
    await runEngine(e, rec);

    const second = await runEngine(e, rec);

    const exp = R['rerun_after_revert']!;
    expect(second.raised?.class).toBe(exp['second_raised']);
    expect(second.calls).toEqual(exp['second_calls']);
    expect(second.flow_state).toBe(exp.flow_state);
  });
});

describe('revert order with async tasks (issue #3: "every completed atom reverts in reverse completion order")', () => {
  it.each(EXECUTORS)(
    'unordered siblings finishing in a different order than added revert in reverse completion order (%s)',
    async (executor) => {
      const log: string[] = [];
      const slow = (n: string, ms: number) =>
        task(
          n,
          async () => {
            await new Promise((r) => setTimeout(r, ms));
            log.push(`done ${n}`);
            return n;
          },
          { revert: () => void log.push(`revert ${n}`) },
        );
      const f = new LinearFlow('f').add(
        new UnorderedFlow('u').add(slow('a', 40), slow('b', 5), slow('c', 20)),
        task('x', () => {
          throw new Boom('x failed');
        }),
      );

      await new Engine(f, { executor }).run().catch(() => undefined);

      const done = log.filter((l) => l.startsWith('done ')).map((l) => l.slice(5));
      const reverted = log.filter((l) => l.startsWith('revert ')).map((l) => l.slice(7));
      expect(reverted).toEqual([...done].reverse());
    },
  );
});
