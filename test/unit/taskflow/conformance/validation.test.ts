/**
 * Conformance: validation before anything runs (python/validation.py, recorded with TaskFlow 5.0).
 */
import {
  AmbiguousDependency,
  DependencyFailure,
  DuplicateAtom,
  Engine,
  GraphFlow,
  LinearFlow,
  MissingDependencies,
  UnorderedFlow,
} from '../../../../src/taskflow';
import { EXECUTORS, loadRecorded, Recorder, run } from './harness';

const R = loadRecorded('validation');

/** Every (atom, missing names) pair a MissingDependencies reports: its own fields, its `byAtom` map and its cause chain. */
function reported(err: unknown): { missing: readonly string[]; byAtom: Record<string, readonly string[]> } {
  const byAtom: Record<string, readonly string[]> = {};
  let c: unknown = err;
  while (c instanceof MissingDependencies) {
    byAtom[c.atom] = c.missing;
    c = c.cause;
  }
  const extra = (err as { byAtom?: Record<string, readonly string[]> }).byAtom;
  if (extra) Object.assign(byAtom, extra);
  return { missing: (err as MissingDependencies).missing, byAtom };
}

describe.each(EXECUTORS)('validation (%s executor)', (executor) => {
  it('reports every missing name and the atoms needing them, before anything runs', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: 1, provides: 'x' }),
      rec.t('b', { requires: ['x', 'p'] }),
      rec.t('c', { requires: ['q', 'r', 'x'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['missing_several_atoms']!;
    expect(o.raised?.error).toBeInstanceOf(MissingDependencies);
    const rep = reported(o.raised?.error);
    expect([...rep.missing].sort()).toEqual(exp.raised!.missing); // ['p', 'q', 'r']
    expect(rep.byAtom['b']).toEqual(['p']);
    expect(rep.byAtom['c']).toEqual(['q', 'r']);
    expect(o.calls).toEqual([]);
    expect(o.events).toEqual([]);
    expect(o.flow_events).toEqual(exp.flow_events); // []
    expect(o.flow_state).toBe(exp.flow_state); // PENDING
  });

  it('counts store values as provided and names only what is still missing', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(rec.t('b', { requires: ['p', 'q'] }));

    const o = await run(f, rec, { executor, store: { p: 1 } });

    const exp = R['missing_partially_from_store']!;
    expect(o.raised?.error).toBeInstanceOf(MissingDependencies);
    expect(o.raised?.error).toMatchObject({ atom: 'b', missing: exp.raised!.missing }); // single atom: the atom itself
    expect(o.calls).toEqual([]);
  });

  it('reports missing names in graph flows', async () => {
    const rec = new Recorder();
    const f = new GraphFlow('g').add(
      rec.t('a', { requires: ['nope'], provides: 'x' }),
      rec.t('b', { requires: ['x'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['graph_missing']!;
    expect(o.raised?.error).toBeInstanceOf(MissingDependencies);
    expect(o.raised?.error).toMatchObject({ atom: 'a', missing: exp.raised!.missing });
    expect(o.calls).toEqual([]);
  });

  it('reports a rebound argument whose stored name nothing provides', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: 1, provides: 'x' }),
      rec.t('b', { requires: ['v'], rebind: { v: 'zz' } }),
    );

    const o = await run(f, rec, { executor });

    // TaskFlow 5.0 names the *argument* ('v'); naming the stored name ('zz') is at least as useful. Either, but
    // the atom must be 'b' and nothing may run.
    expect(o.raised?.error).toBeInstanceOf(MissingDependencies);
    const err = o.raised?.error as MissingDependencies;
    expect(err.atom).toBe('b');
    expect(err.missing.length).toBe(1);
    expect(['v', 'zz']).toContain(err.missing[0]);
    expect(o.calls).toEqual([]);
    expect(R['rebind_to_missing_name']!.raised!.missing).toEqual(['v']);
  });

  it('refuses duplicate atom names (linear, nested and graph) before running anything', async () => {
    for (const [name, build] of [
      ['duplicate_names_linear', (rec: Recorder) => new LinearFlow('f').add(rec.t('a'), rec.t('a'))],
      [
        'duplicate_names_nested',
        (rec: Recorder) =>
          new LinearFlow('f').add(rec.t('a'), new UnorderedFlow('u').add(rec.t('b'), rec.t('a'))),
      ],
      ['duplicate_names_graph', (rec: Recorder) => new GraphFlow('g').add(rec.t('a'), rec.t('a'))],
    ] as const) {
      const rec = new Recorder();
      let err: unknown;
      let o;
      try {
        o = await run(build(rec), rec, { executor });
        err = o.raised?.error;
      } catch (e) {
        err = e; // raised while building/loading: earlier than TaskFlow, also fine
      }

      expect(R[name]!.raised!.class).toBe('Duplicate');
      expect(err).toBeInstanceOf(DuplicateAtom);
      expect(err).toMatchObject({ names: ['a'] });
      expect(rec.calls).toEqual([]);
    }
  });

  it('raises AmbiguousDependency when adding a graph node whose requirement has two providers', () => {
    const rec = new Recorder();
    const g = new GraphFlow('g');

    const act = () =>
      g.add(
        rec.t('a', { ret: 1, provides: 'x' }),
        rec.t('b', { ret: 2, provides: 'x' }),
        rec.t('c', { requires: ['x'] }),
      );

    expect(R['ambiguous_graph_two_providers']!.raised).toMatchObject({
      class: 'AmbiguousDependency',
      at: 'build',
    });
    expect(act).toThrow(AmbiguousDependency);
    try {
      new GraphFlow('g2').add(
        rec.t('a', { ret: 1, provides: 'x' }),
        rec.t('b', { ret: 2, provides: 'x' }),
        rec.t('c', { requires: ['x'] }),
      );
    } catch (e) {
      expect(e).toMatchObject({ atom: 'c', dependency: 'x', providers: ['a', 'b'] });
    }
  });

  it('does not treat two providers in a linear flow as ambiguous: the nearest wins', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: 1, provides: 'x' }),
      rec.t('b', { ret: 2, provides: 'x' }),
      rec.t('c', { requires: ['x'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['linear_two_providers_not_ambiguous']!;
    expect(o.raised).toBeNull();
    expect(o.events).toEqual(exp.events);
    expect(o.calls.find((c) => c.atom === 'c')).toEqual({ op: 'execute', atom: 'c', args: { x: 2 } });
  });

  it('accepts unordered siblings providing the same name when nothing consumes it', async () => {
    const rec = new Recorder();
    const f = new UnorderedFlow('u').add(
      rec.t('a', { ret: 1, provides: 'x' }),
      rec.t('b', { ret: 2, provides: 'x' }),
    );

    const o = await run(f, rec, { executor });

    expect(o.raised).toBeNull();
    expect(o.flow_state).toBe(R['unordered_two_providers_no_consumer']!.flow_state);
  });

  it('raises AmbiguousDependency for a consumer after two unordered providers of one name (the issue; TaskFlow 5.0 silently picks one)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      new UnorderedFlow('u').add(
        rec.t('a', { ret: 1, provides: 'x' }),
        rec.t('b', { ret: 2, provides: 'x' }),
      ),
      rec.t('c', { requires: ['x'] }),
    );

    let err: unknown;
    try {
      const o = await run(f, rec, { executor });
      err = o.raised?.error;
    } catch (e) {
      err = e;
    }

    // Recorded: TaskFlow 5.0 runs this and hands c the value of 'b'. The issue asks for AmbiguousDependency
    // ("two providers of one name where the order can't decide"), before anything runs.
    expect(R['ambiguous_unordered_two_providers']!.raised).toBeNull();
    expect(err).toBeInstanceOf(AmbiguousDependency);
    expect(rec.calls).toEqual([]);
  });

  it('lets the store settle a name that two unordered siblings provide', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      new UnorderedFlow('u').add(
        rec.t('a', { ret: 1, provides: 'x' }),
        rec.t('b', { ret: 2, provides: 'x' }),
      ),
      rec.t('c', { requires: ['x'] }),
    );

    const o = await run(f, rec, { executor, store: { x: 'store' } });

    expect(R['ambiguous_but_store_has_it']!.flow_state).toBe('SUCCESS');
    expect(o.raised).toBeNull();
    expect(o.calls.find((c) => c.atom === 'c')).toEqual({ op: 'execute', atom: 'c', args: { x: 'store' } });
  });

  describe('graph cycles are refused at add/link and leave the flow usable', () => {
    it('by explicit links', () => {
      const rec = new Recorder();
      const g = new GraphFlow('g');
      const [a, b, c] = [rec.t('a'), rec.t('b'), rec.t('c')];
      g.add(a, b, c);
      g.link(a, b);
      g.link(b, c);

      expect(R['graph_cycle_links']!.raised).toMatchObject({ class: 'DependencyFailure', at: 'build' });
      expect(() => g.link(c, a)).toThrow(DependencyFailure);
    });

    it('by data dependencies', () => {
      const rec = new Recorder();

      const act = () =>
        new GraphFlow('g').add(
          rec.t('a', { requires: ['y'], provides: 'x' }),
          rec.t('b', { requires: ['x'], provides: 'y' }),
        );

      expect(R['graph_cycle_data']!.raised).toMatchObject({ class: 'DependencyFailure', at: 'build' });
      expect(act).toThrow(DependencyFailure);
    });

    it('by a self link', () => {
      const rec = new Recorder();
      const g = new GraphFlow('g');
      const a = rec.t('a');
      g.add(a);

      expect(R['graph_self_link']!.raised).toMatchObject({ class: 'DependencyFailure', at: 'build' });
      expect(() => g.link(a, a)).toThrow(DependencyFailure);
    });

    it('by a link against the data order', async () => {
      const rec = new Recorder();
      const g = new GraphFlow('g');
      const a = rec.t('a', { ret: 1, provides: 'x' });
      const b = rec.t('b', { requires: ['x'] });
      g.add(a, b);

      expect(R['graph_link_against_data_order']!.raised).toMatchObject({
        class: 'DependencyFailure',
        at: 'build',
      });
      expect(() => g.link(b, a)).toThrow(DependencyFailure);
      const o = await run(g, rec, { executor }); // the refused link left the flow as it was
      expect(o.raised).toBeNull();
      expect(o.events).toEqual(['a RUNNING', 'a SUCCESS', 'b RUNNING', 'b SUCCESS']);
    });
  });

  it('refuses a link to an atom that is not in the graph', () => {
    const rec = new Recorder();
    const g = new GraphFlow('g');
    const a = rec.t('a');
    g.add(a);

    expect(R['graph_link_unknown_atom']!.raised).toMatchObject({ class: 'ValueError', at: 'build' });
    expect(() => g.link(a, rec.t('zz'))).toThrow(/zz/);
  });

  it('runs an empty flow to SUCCESS', async () => {
    const rec = new Recorder();

    const o = await run(new LinearFlow('f'), rec, { executor });

    const exp = R['empty_flow']!;
    expect(o.raised).toBeNull();
    expect(o.flow_state).toBe(exp.flow_state);
  });

  it('validate() alone throws without running anything', () => {
    const rec = new Recorder();
    const e = new Engine(new LinearFlow('f').add(rec.t('b', { requires: ['p'] })), { executor });

    expect(() => e.validate()).toThrow(MissingDependencies);
    expect(rec.calls).toEqual([]);
    expect(e.storage.getFlowState()).toBe('PENDING');
  });
});
