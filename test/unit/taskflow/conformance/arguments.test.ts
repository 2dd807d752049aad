/**
 * Conformance: argument passing (python/arguments.py, recorded with TaskFlow 5.0).
 */
import {
  GraphFlow,
  LinearFlow,
  MissingDependencies,
  runFlow,
  task,
  UnorderedFlow,
} from '../../../../src/taskflow';
import { EXECUTORS, loadRecorded, perAtom, Recorder, run, shape } from './harness';

const R = loadRecorded('arguments');

describe.each(EXECUTORS)('argument passing (%s executor)', (executor) => {
  it('stores the whole result under a single provides name and passes it on', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: 1, provides: 'x' }),
      rec.t('b', {
        ret: (kw: Record<string, unknown>) => (kw['x'] as number) + 1,
        requires: ['x'],
        provides: 'y',
      }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['single_provides']!;
    expect(o.raised).toBeNull();
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
    expect(o.flow_events).toEqual(exp.flow_events);
  });

  it('maps a list of provides names onto the keys of an object result (TaskFlow: set provides + dict result)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: { x: 1, y: 2, z: 3 }, provides: ['x', 'y'] }),
      rec.t('b', { requires: ['x', 'y'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['keyed_provides_dict_result']!;
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results); // z is not stored: only the named keys are
    expect(o.events).toEqual(exp.events);
  });

  it('stores an object result whole under a single name', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: { x: 1, y: 2 }, provides: 'whole' }),
      rec.t('b', { requires: ['whole'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['single_provides_dict_result']!;
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
  });

  it('does not store a result by name when the task provides nothing; the store is kept', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(rec.t('a', { ret: 42 }));

    const o = await run(f, rec, { executor, store: { s: 1 } });

    const exp = R['no_provides_result_not_stored_by_name']!;
    expect(o.results).toEqual(exp.results);
    expect(o.events).toEqual(exp.events);
  });

  it('rebinds an argument to another stored name (map)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: 5, provides: 'x' }),
      rec.t('b', {
        ret: (kw: Record<string, unknown>) => kw,
        requires: ['v'],
        rebind: { v: 'x' },
        provides: 'y',
      }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['rebind_map']!;
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
  });

  it('rebinds arguments by position (list)', async () => {
    const rec = new Recorder();
    const ab = task(
      'ab',
      ({ a, b }: { a: number; b: number }) => {
        rec.calls.push({ op: 'execute', atom: 'ab', args: { a, b } });
        return a + b;
      },
      { requires: ['a', 'b'], rebind: ['x', 'y'], provides: 'sum' },
    );
    const f = new LinearFlow('f').add(ab);

    const o = await run(f, rec, { executor, store: { x: 1, y: 2, a: 100, b: 200 } });

    const exp = R['rebind_list']!;
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
  });

  describe('optional arguments', () => {
    const opt = (rec: Recorder) =>
      task(
        'o',
        (args: { a: number; b?: unknown }) => {
          const { a, b = 'dflt' } = args;
          rec.calls.push({ op: 'execute', atom: 'o', args: { a, b } });
          return [a, b];
        },
        { requires: ['a'], optional: ['b'], provides: 'r' },
      );

    it('are not passed when nothing provides them (the default applies)', async () => {
      const rec = new Recorder();
      let seen: Record<string, unknown> | undefined;
      const probe = task(
        'probe',
        (args: Record<string, unknown>) => {
          seen = { ...args };
        },
        { requires: ['a'], optional: ['b'] },
      );

      const o = await run(new LinearFlow('f').add(opt(rec)), rec, { executor, store: { a: 1 } });
      await run(new LinearFlow('g').add(probe), new Recorder(), { executor, store: { a: 1 } });

      const exp = R['optional_absent']!;
      expect(o.calls).toEqual(exp.calls);
      expect(o.results).toEqual(exp.results);
      expect(seen).toEqual({ a: 1 }); // b is absent, not undefined-valued
      expect(Object.prototype.hasOwnProperty.call(seen, 'b')).toBe(false);
    });

    it('are passed from the store', async () => {
      const rec = new Recorder();

      const o = await run(new LinearFlow('f').add(opt(rec)), rec, { executor, store: { a: 1, b: 2 } });

      const exp = R['optional_from_store']!;
      expect(o.calls).toEqual(exp.calls);
      expect(o.results).toEqual(exp.results);
    });

    it('become required when rebound (TaskFlow adds rebind entries to the required mapping)', async () => {
      const recP = new Recorder();
      const recM = new Recorder();
      const rebound = (rec: Recorder) =>
        task(
          'o',
          (args: { a: number; b?: unknown }) => {
            const { a, b = 'dflt' } = args;
            rec.calls.push({ op: 'execute', atom: 'o', args: { a, b } });
            return [a, b];
          },
          { requires: ['a'], optional: ['b'], rebind: { b: 'zz' }, provides: 'r' },
        );

      const present = await run(new LinearFlow('f').add(rebound(recP)), recP, {
        executor,
        store: { a: 1, zz: 9 },
      });
      const missing = await run(new LinearFlow('f').add(rebound(recM)), recM, { executor, store: { a: 1 } });

      expect(present.calls).toEqual(R['optional_rebound_present']!.calls); // b = 9
      const exp = R['optional_rebound_missing']!;
      expect(exp.raised).toMatchObject({ class: 'MissingDependencies', missing: ['b'] });
      expect(missing.raised?.error).toBeInstanceOf(MissingDependencies);
      expect(missing.raised?.error).toMatchObject({ atom: 'o' });
      expect(['b', 'zz']).toContain((missing.raised?.error as MissingDependencies).missing[0]);
      expect(missing.calls).toEqual([]);
    });

    it('are passed from an earlier provider', async () => {
      const rec = new Recorder();
      const f = new LinearFlow('f').add(rec.t('p', { ret: 'from-p', provides: 'b' }), opt(rec));

      const o = await run(f, rec, { executor, store: { a: 1 } });

      const exp = R['optional_from_provider']!;
      expect(o.calls).toEqual(exp.calls);
      expect(o.results).toEqual(exp.results);
    });
  });

  it("gives an atom's own inject precedence over the store and over providers", async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('p', { ret: 'provider', provides: 'x' }),
      rec.t('c', { requires: ['x'], inject: { x: 'inject' } }),
    );

    const o = await run(f, rec, { executor, store: { x: 'store' } });

    expect(o.calls).toEqual(R['inject_beats_store_and_provider']!.calls);
  });

  it('gives the store precedence over an earlier provider of the same name', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('p', { ret: 'provider', provides: 'x' }),
      rec.t('c', { requires: ['x'] }),
    );

    const o = await run(f, rec, { executor, store: { x: 'store' } });

    expect(o.calls).toEqual(R['store_vs_provider']!.calls);
    expect(o.flow_state).toBe('SUCCESS');
  });

  it('keeps inject local to its atom (another atom needing the name is a missing dependency)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { requires: ['x'], inject: { x: 1 } }),
      rec.t('b', { requires: ['x'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['inject_is_atom_local']!;
    expect(o.raised?.class).toBe(exp.raised!.class);
    expect(o.raised?.error).toMatchObject({ missing: exp.raised!.missing });
    expect(o.calls).toEqual([]);
    expect(o.events).toEqual([]);
  });

  it('never lets an atom see a later provider (linear)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(rec.t('b', { requires: ['x'] }), rec.t('a', { ret: 1, provides: 'x' }));

    const o = await run(f, rec, { executor });

    const exp = R['later_provider_not_visible']!;
    expect(o.raised?.class).toBe('MissingDependencies');
    expect(o.raised?.error).toMatchObject({ missing: exp.raised!.missing });
    expect(o.calls).toEqual([]);
  });

  it('never lets unordered siblings see each other', async () => {
    const rec = new Recorder();
    const f = new UnorderedFlow('f').add(
      rec.t('a', { ret: 1, provides: 'x' }),
      rec.t('b', { requires: ['x'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['unordered_sibling_not_visible']!;
    expect(o.raised?.class).toBe('MissingDependencies');
    expect(o.raised?.error).toMatchObject({ missing: exp.raised!.missing });
    expect(o.calls).toEqual([]);
  });

  it('resolves a shadowed name to the nearest earlier provider (nested flows)', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer').add(
      rec.t('a', { ret: 1, provides: 'x' }),
      new LinearFlow('inner').add(rec.t('b', { ret: 2, provides: 'x' }), rec.t('c', { requires: ['x'] })),
      rec.t('d', { requires: ['x'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['nested_shadowing_nearest_wins']!;
    expect(o.calls).toEqual(exp.calls);
    expect(o.events).toEqual(exp.events);
  });

  it('lets unordered children see a provider before the unordered flow', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('outer').add(
      rec.t('a', { ret: 'A', provides: 'x' }),
      new UnorderedFlow('u').add(
        rec.t('b', { requires: ['y'], rebind: { y: 'x' } }),
        rec.t('c', { requires: ['x'] }),
      ),
    );

    const o = await run(f, rec, { executor });

    const exp = R['unordered_children_see_outer_provider']!;
    expect([...o.calls].sort((p, q) => p.atom.localeCompare(q.atom))).toEqual(
      [...exp.calls!].sort((p, q) => p.atom.localeCompare(q.atom)),
    );
    expect(perAtom(o.events)).toEqual(perAtom(exp.events!));
    expect(o.results).toEqual(exp.results);
  });

  it('orders a graph flow by data dependencies whatever the add order', async () => {
    const rec = new Recorder();
    const f = new GraphFlow('g').add(
      rec.t('c', { requires: ['y'] }),
      rec.t('b', { ret: 2, requires: ['x'], provides: 'y' }),
      rec.t('a', { ret: 1, provides: 'x' }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['graph_orders_by_data']!;
    expect(o.events).toEqual(exp.events);
    expect(o.calls).toEqual(exp.calls);
    expect(o.results).toEqual(exp.results);
  });

  it('runFlow resolves to every stored result, store included', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', {
        ret: (kw: Record<string, unknown>) => (kw['s'] as number) * 2,
        requires: ['s'],
        provides: 'd',
      }),
    );

    const results = await runFlow(f, { store: { s: 21, extra: 'kept' }, executor });

    const exp = R['engines_run_returns_all_results']!;
    expect(results).toEqual(exp['returned']);
    expect(rec.calls).toEqual(exp.calls);
  });

  it('fails the run (not silently) when a keyed result lacks a key a later atom needs', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: { x: 1 }, provides: ['x', 'y'] }),
      rec.t('b', { requires: ['y'] }),
    );

    const o = await run(f, rec, { executor });

    const exp = R['keyed_provides_missing_key']!;
    expect(shape(o.raised)?.class).toBe(exp.raised!.class); // NotFound
    expect(o.calls.filter((c) => c.op === 'execute')).toEqual(exp.calls); // b never executes
  });
});
