/**
 * Conformance: graph flows with link deciders (IGNORE) and nested flows (python/graph.py, TaskFlow 5.0).
 */
import { GraphFlow, LinearFlow, UnorderedFlow, type DeciderDepth } from '../../../../src/taskflow';
import { at, callsPerAtom, EXECUTORS, loadRecorded, perAtom, Recorder, run, ser, shape } from './harness';

const R = loadRecorded('graph');

describe.each(EXECUTORS)('graph flows (%s executor)', (executor) => {
  const deciderCalls: { decider: string; history: unknown }[] = [];
  const decider = (answer: boolean, tag: string) => (history: Readonly<Record<string, unknown>>) => {
    deciderCalls.push({ decider: tag, history: ser({ ...history }) });
    return answer;
  };
  beforeEach(() => {
    deciderCalls.length = 0;
  });

  function g1(rec: Recorder, answer: boolean) {
    const g = new GraphFlow('g');
    const [a, b, c, d] = [
      rec.t('a', { ret: 'A', provides: 'x' }),
      rec.t('b', { ret: 'B' }),
      rec.t('c', { ret: 'C', provides: 'y' }),
      rec.t('d', { requires: ['y'] }),
    ];
    g.add(a, b, c, d);
    g.link(a, c, { decider: decider(answer, 'a->c') });
    return g;
  }

  it('a decider saying no IGNOREs the target and everything after it; the flow still succeeds', async () => {
    const rec = new Recorder();

    const o = await run(g1(rec, false), rec, { executor });

    const exp = R['decider_false_ignores_successors']!;
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!)); // c IGNORE, d IGNORE (no RUNNING)
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.flow_state).toBe('SUCCESS');
    expect(deciderCalls).toEqual(exp['decider_calls']);
    expect(callsPerAtom(o.calls)).toEqual(callsPerAtom(exp.calls!));
    expect(o.results).toEqual(exp.results);
  });

  it('a decider saying yes runs the target', async () => {
    const rec = new Recorder();

    const o = await run(g1(rec, true), rec, { executor });

    const exp = R['decider_true_runs']!;
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    expect(o.results).toEqual(exp.results);
    expect(deciderCalls).toEqual(exp['decider_calls']);
  });

  function g2(rec: Recorder, depth: DeciderDepth) {
    const g = new GraphFlow('g');
    const [a, c, d] = [rec.t('a', { ret: 'A' }), rec.t('c', { ret: 'C' }), rec.t('d', { ret: 'D' })];
    g.add(a, c, d);
    g.link(a, c, { decider: decider(false, 'a->c'), deciderDepth: depth });
    g.link(c, d);
    return g;
  }

  it('decider depth ATOM ignores only the target atom', async () => {
    const rec = new Recorder();

    const o = await run(g2(rec, 'ATOM'), rec, { executor });

    const exp = R['decider_depth_atom']!;
    expect(o.events).toEqual(exp.events);
    expect(o.atom_states).toEqual(exp.atom_states);
  });

  it('decider depth ALL ignores the target and its successors', async () => {
    const rec = new Recorder();

    const o = await run(g2(rec, 'ALL'), rec, { executor });

    const exp = R['decider_depth_all']!;
    expect(o.events).toEqual(exp.events);
    expect(o.atom_states).toEqual(exp.atom_states);
  });

  function g3(rec: Recorder, depth: DeciderDepth) {
    const g = new GraphFlow('g');
    const a = rec.t('a', { ret: 'A' });
    const sub = new LinearFlow('sub').add(rec.t('s1', { ret: 1 }), rec.t('s2', { ret: 2 }));
    const z = rec.t('z', { ret: 'Z' });
    g.add(a, sub, z);
    g.link(a, sub, { decider: decider(false, 'a->sub'), deciderDepth: depth });
    g.link(sub, z);
    return g;
  }

  it('a decider on a link to a sub-flow with depth FLOW ignores the whole sub-flow only', async () => {
    const rec = new Recorder();

    const o = await run(g3(rec, 'FLOW'), rec, { executor });

    const exp = R['decider_subflow_depth_flow']!;
    expect(o.events).toEqual(exp.events);
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(deciderCalls).toEqual(exp['decider_calls']);
  });

  it('a decider on a link to a sub-flow with depth ALL ignores the sub-flow and what follows', async () => {
    const rec = new Recorder();

    const o = await run(g3(rec, 'ALL'), rec, { executor });

    const exp = R['decider_subflow_depth_all']!;
    expect(o.events).toEqual(exp.events);
    expect(o.atom_states).toEqual(exp.atom_states);
  });

  it('with two deciders into one atom, one "no" is enough; each sees the results of all predecessors', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g');
    const [a, b, c] = [rec.t('a', { ret: 'A' }), rec.t('b', { ret: 'B' }), rec.t('c', { ret: 'C' })];
    g.add(a, b, c);
    g.link(a, c, { decider: decider(true, 'a->c') });
    g.link(b, c, { decider: decider(false, 'b->c') });

    const o = await run(g, rec, { executor });

    const exp = R['two_deciders_one_false']!;
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    // TaskFlow evaluates the deciders in order until one says no, each with {a, b}.
    expect(deciderCalls).toEqual(exp['decider_calls']);
  });

  it("a decider gets the predecessor's result keyed by atom name", async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g');
    const [a, c] = [rec.t('a', { ret: 5, provides: 'x' }), rec.t('c', { ret: 'C' })];
    g.add(a, c);
    g.link(a, c, {
      decider: (h) => (
        deciderCalls.push({ decider: 'a->c', history: ser({ ...h }) }),
        (h['a'] as number) > 3
      ),
    });

    const o = await run(g, rec, { executor });

    const exp = R['decider_sees_results']!;
    expect(o.events).toEqual(exp.events);
    expect(deciderCalls).toEqual(exp['decider_calls']);
  });

  it('IGNOREd atoms are not reverted when a later atom fails', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g');
    const [a, c, f] = [rec.t('a', { ret: 'A' }), rec.t('c', { ret: 'C' }), rec.t('f', { fail: 'f failed' })];
    g.add(a, c, f);
    g.link(a, c, { decider: decider(false, 'a->c') });
    g.link(a, f);

    const o = await run(g, rec, { executor });

    const exp = R['ignored_then_failure']!;
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    expect(o.atom_states).toEqual(exp.atom_states); // c stays IGNORE
    expect(o.calls).toEqual(exp.calls);
    expect(shape(o.raised)).toEqual(exp.raised);
  });

  function nested(rec: Recorder, fail: boolean) {
    const g = new GraphFlow('g');
    const start = rec.t('start', { ret: 'S', provides: 's' });
    const u = new UnorderedFlow('u').add(
      new LinearFlow('l1').add(
        rec.t('l1a', { requires: ['s'], ret: 1, provides: 'p1' }),
        rec.t('l1b', { requires: ['p1'], ret: 2, provides: 'q1' }),
      ),
      new LinearFlow('l2').add(
        rec.t('l2a', { requires: ['s'], ret: 3, provides: 'p2' }),
        rec.t('l2b', { requires: ['p2'], ret: 4, provides: 'q2', fail: fail ? 'l2b failed' : undefined }),
      ),
    );
    const end = rec.t('end', { requires: ['q1', 'q2'], ret: 'E', provides: 'e' });
    g.add(start, u, end);
    return g;
  }

  it('runs linear flows inside an unordered flow inside a graph in data order', async () => {
    const rec = new Recorder();

    const o = await run(nested(rec, false), rec, { executor });

    const exp = R['nested_linear_in_unordered_in_graph']!;
    expect(o.results).toEqual(exp.results);
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    expect(callsPerAtom(o.calls)).toEqual(callsPerAtom(exp.calls!));
    const ev = o.events;
    expect(at(ev, 'start SUCCESS')).toBeLessThan(Math.min(at(ev, 'l1a RUNNING'), at(ev, 'l2a RUNNING')));
    expect(at(ev, 'l1a SUCCESS')).toBeLessThan(at(ev, 'l1b RUNNING'));
    expect(at(ev, 'l2a SUCCESS')).toBeLessThan(at(ev, 'l2b RUNNING'));
    expect(Math.max(at(ev, 'l1b SUCCESS'), at(ev, 'l2b SUCCESS'))).toBeLessThan(at(ev, 'end RUNNING'));
  });

  it('reverts the nested structure in reverse order when an inner atom fails', async () => {
    const rec = new Recorder();

    const o = await run(nested(rec, true), rec, { executor });

    const exp = R['nested_linear_in_unordered_in_graph_fail']!;
    expect(o.atom_states).toEqual(exp.atom_states); // end PENDING, everything else REVERTED
    expect(shape(o.raised)).toEqual(exp.raised);
    const ev = o.events;
    expect(ev).not.toContain('end RUNNING');
    expect(at(ev, 'l1b REVERTED')).toBeLessThan(at(ev, 'l1a REVERTING'));
    expect(at(ev, 'l2b REVERTED')).toBeLessThan(at(ev, 'l2a REVERTING'));
    expect(Math.max(at(ev, 'l1a REVERTED'), at(ev, 'l2a REVERTED'))).toBeLessThan(at(ev, 'start REVERTING'));
    const reverts = Object.fromEntries(
      o.calls.filter((c) => c.op === 'revert').map((c) => [c.atom, c.result]),
    );
    const expReverts = Object.fromEntries(
      exp.calls!.filter((c) => c.op === 'revert').map((c) => [c.atom, c.result]),
    );
    expect(reverts).toEqual(expReverts);
  });

  it('orders atoms by explicit links alone', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g');
    const [a, b, c] = [rec.t('a', { ret: 'A' }), rec.t('b', { ret: 'B' }), rec.t('c', { ret: 'C' })];
    g.add(c, b, a);
    g.link(a, b);
    g.link(b, c);

    const o = await run(g, rec, { executor });

    expect(o.events).toEqual(R['graph_links_order']!.events);
  });

  it('orders a graph node after a sub-flow that provides what it needs', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g');
    const sub = new LinearFlow('sub').add(
      rec.t('s1', { ret: 1, provides: 'one' }),
      rec.t('s2', { requires: ['one'], ret: 2, provides: 'two' }),
    );
    g.add(rec.t('use', { requires: ['two'] }), sub);

    const o = await run(g, rec, { executor });

    const exp = R['graph_subflow_provides']!;
    expect(o.events).toEqual(exp.events);
    expect(o.results).toEqual(exp.results);
  });

  it.each([
    ['decider_from_subflow_false', false],
    ['decider_from_subflow_true', true],
  ] as const)(
    '%s: a decider on a link from a sub-flow gets an empty history (only atom sources contribute)',
    async (name, answer) => {
      const rec = new Recorder();
      const g = new GraphFlow('g');
      const sub = new LinearFlow('sub').add(rec.t('s1', { ret: 1 }), rec.t('s2', { ret: 2 }));
      const t = rec.t('t', { ret: 'T' });
      g.add(sub, t);
      g.link(sub, t, { decider: decider(answer, 'sub->t') });

      const o = await run(g, rec, { executor });

      const exp = R[name]!;
      expect(o.events).toEqual(exp.events);
      expect(o.atom_states).toEqual(exp.atom_states);
      expect(deciderCalls).toEqual(exp['decider_calls']);
    },
  );

  it('an ATOM-depth "no" on a provider leaves its consumer without the value: NotFound, flow FAILURE, consumer not executed', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g');
    const [a, b, c] = [
      rec.t('a', { ret: 'A' }),
      rec.t('b', { ret: 'B', provides: 'x' }),
      rec.t('c', { requires: ['x'], ret: 'C' }),
    ];
    g.add(a, b, c);
    g.link(a, b, { decider: decider(false, 'a->b'), deciderDepth: 'ATOM' });

    const o = await run(g, rec, { executor });

    const exp = R['ignored_provider_consumer_not_found']!;
    expect(o.raised?.class).toBe(exp.raised!.class); // NotFound
    expect(o.flow_state).toBe(exp.flow_state); // FAILURE
    expect(o.atom_states).toEqual(exp.atom_states);
    expect(o.calls).toEqual(exp.calls); // only a executed
  });

  // Finding F17 (fixed): FLOW and NEIGHBORS stop at a successor sub-flow, as TaskFlow's execution-graph walk does.
  it.each(['FLOW', 'NEIGHBORS'] as const)(
    'decider depth %s does not reach through a successor sub-flow [F17]',
    async (depth) => {
      const rec = new Recorder();
      const g = new GraphFlow('g');
      const [a, t, z] = [rec.t('a', { ret: 'A' }), rec.t('t', { ret: 'T' }), rec.t('z', { ret: 'Z' })];
      const sub = new LinearFlow('sub').add(rec.t('s1', { ret: 1 }));
      g.add(a, t, sub, z);
      g.link(a, t, { decider: () => false, deciderDepth: depth });
      g.link(t, sub);
      g.link(sub, z);

      const o = await run(g, rec, { executor });

      const exp = R[`through_subflow_${depth.toLowerCase()}`]!;
      expect(o.atom_states).toEqual(exp.atom_states); // t IGNORE; s1 and z run
      expect(o.events).toEqual(exp.events);
    },
  );
});
