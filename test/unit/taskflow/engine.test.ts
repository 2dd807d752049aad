import {
  AlwaysRevert,
  AlwaysRevertAll,
  AmbiguousDependency,
  CapturingListener,
  DependencyFailure,
  DuplicateAtom,
  Engine,
  Failure,
  ForEach,
  GraphFlow,
  LinearFlow,
  MissingDependencies,
  NotFound,
  ParameterizedForEach,
  Times,
  UnorderedFlow,
  WrappedFailure,
  runFlow,
  Task,
  task,
  type EngineOptions,
  type Flow,
} from '../../../src/taskflow';
import { AlwaysFails, FailsNTimes, ReturnsValue, RevertFails, type CallLog } from '../../fixtures/tasks';

type Exec = 'serial' | 'parallel';

function load(
  flow: Flow<object, object>,
  opts: EngineOptions,
): { engine: Engine; capture: CapturingListener } {
  const engine = new Engine(flow, opts);
  const capture = new CapturingListener().attach(engine);
  return { engine, capture };
}

describe.each<Exec>(['serial', 'parallel'])('engine (%s executor)', (executor) => {
  let log: CallLog;
  beforeEach(() => {
    log = [];
  });

  describe('arguments passing', () => {
    it('passes store values and earlier results to execute as one object', async () => {
      const a = new ReturnsValue('a', log, { requires: ['x'], value: 5, provides: 'y' });
      const b = new ReturnsValue('b', log, { requires: ['x', 'y'], provides: 'z', value: 'done' });
      const flow = new LinearFlow('f').add(a, b);

      const results = await runFlow(flow, { store: { x: 1 }, executor });

      expect(b.lastArgs).toEqual({ x: 1, y: 5 });
      expect(results).toEqual({ x: 1, y: 5, z: 'done' });
    });

    it('stores each key of an object result under a list provides', async () => {
      const a = new ReturnsValue('a', log, { value: { p: 1, q: 2, r: 3 }, provides: ['p', 'q'] });
      const b = new ReturnsValue('b', log, { requires: ['p', 'q'] });

      const { engine } = load(new LinearFlow('f').add(a, b), { executor });
      await engine.run();

      expect(b.lastArgs).toEqual({ p: 1, q: 2 });
      expect(engine.storage.fetch('q')).toBe(2);
      expect(() => engine.storage.fetch('r')).toThrow(NotFound);
    });

    it('maps arguments with rebind (map and list forms)', async () => {
      const a = new ReturnsValue('a', log, { requires: ['x'], rebind: { x: 'other' } });
      const b = new ReturnsValue('b', log, { requires: ['x', 'y'], rebind: ['one', 'two'] });

      await runFlow(new UnorderedFlow('f').add(a, b), { store: { other: 'O', one: 1, two: 2 }, executor });

      expect(a.lastArgs).toEqual({ x: 'O' });
      expect(b.lastArgs).toEqual({ x: 1, y: 2 });
    });

    it('prefers atom inject over the store, and the store over providers', async () => {
      const a = new ReturnsValue('a', log, { value: 'from-a', provides: 'x' });
      const b = new ReturnsValue('b', log, { requires: ['x'] });
      const c = new ReturnsValue('c', log, { requires: ['x'], inject: { x: 'injected' } });

      await runFlow(new LinearFlow('f').add(a, b, c), { store: { x: 'stored' }, executor });

      expect(b.lastArgs).toEqual({ x: 'stored' });
      expect(c.lastArgs).toEqual({ x: 'injected' });
    });

    it('passes optional arguments only when available', async () => {
      const a = new ReturnsValue('a', log, { requires: ['x'], optional: ['maybe', 'there'] });

      await runFlow(new LinearFlow('f').add(a), { store: { x: 1, there: 2 }, executor });

      expect(a.lastArgs).toEqual({ x: 1, there: 2 });
    });

    it('uses the nearest earlier provider when a nested flow shadows a name', async () => {
      const a = new ReturnsValue('a', log, { value: 'outer', provides: 'x' });
      const b = new ReturnsValue('b', log, { value: 'inner', provides: 'x' });
      const c = new ReturnsValue('c', log, { requires: ['x'] });
      const d = new ReturnsValue('d', log, { requires: ['x'] });
      const sub = new LinearFlow('sub').add(b, c);

      await runFlow(new LinearFlow('f').add(a, sub, d), { executor });

      expect(c.lastArgs).toEqual({ x: 'inner' });
      expect(d.lastArgs).toEqual({ x: 'inner' });
    });

    it('supports the functional task form', async () => {
      const add = task('add', ({ a, b }: { a: number; b: number }) => a + b, {
        requires: ['a', 'b'],
        provides: 'sum',
      });
      const twice = task('twice', async ({ sum }: { sum: number }) => sum * 2, {
        requires: ['sum'],
        provides: 'result',
      });

      const results = await runFlow(new LinearFlow<{ a: number; b: number }>('f').add(add).add(twice), {
        store: { a: 1, b: 2 },
        executor,
      });

      expect(results['result']).toBe(6);
    });
  });

  describe('validation', () => {
    it('refuses to start when a required name is missing, naming the atom and names', async () => {
      const a = new ReturnsValue('a', log, { requires: ['x', 'y'] });
      const { engine, capture } = load(new LinearFlow('f').add(a), { executor });

      const run = engine.run();

      await expect(run).rejects.toBeInstanceOf(MissingDependencies);
      await expect(run).rejects.toMatchObject({ atom: 'a', missing: ['x', 'y'] });
      expect(log).toEqual([]);
      expect(capture.atomValues).toEqual([]);
    });

    it('does not let a later atom provide for an earlier one', async () => {
      const a = new ReturnsValue('a', log, { requires: ['y'] });
      const b = new ReturnsValue('b', log, { provides: 'y' });

      await expect(runFlow(new LinearFlow('f').add(a, b), { executor })).rejects.toMatchObject({
        atom: 'a',
        missing: ['y'],
      });
      expect(log).toEqual([]);
    });

    it('does not let unordered siblings see each other', async () => {
      const a = new ReturnsValue('a', log, { provides: 'y' });
      const b = new ReturnsValue('b', log, { requires: ['y'] });

      await expect(runFlow(new UnorderedFlow('f').add(a, b), { executor })).rejects.toBeInstanceOf(
        MissingDependencies,
      );
    });

    it('rejects duplicate atom names', async () => {
      const flow = new LinearFlow('f').add(
        new ReturnsValue('a', log),
        new LinearFlow('s').add(new ReturnsValue('a', log)),
      );

      await expect(runFlow(flow, { executor })).rejects.toBeInstanceOf(DuplicateAtom);
    });

    it('graph flow: ambiguous providers and cycles are refused at add/link', () => {
      const g = new GraphFlow('g').add(
        new ReturnsValue('p1', log, { provides: 'x' }),
        new ReturnsValue('p2', log, { provides: 'x' }),
      );
      expect(() => g.add(new ReturnsValue('c', log, { requires: ['x'] }))).toThrow(AmbiguousDependency);

      const a = new ReturnsValue('a', log, { provides: 'x' });
      const b = new ReturnsValue('b', log, { requires: ['x'] });
      const g2 = new GraphFlow('g2').add(a, b);
      expect(() => g2.link(b, a)).toThrow(DependencyFailure);
      expect(g2.links()).toHaveLength(1);
    });
  });

  describe('flow dependencies (graph)', () => {
    it('orders graph atoms by data dependencies regardless of add order', async () => {
      const c = new ReturnsValue('c', log, { requires: ['b'], provides: 'c' });
      const b = new ReturnsValue('b', log, { requires: ['a'], provides: 'b' });
      const a = new ReturnsValue('a', log, { provides: 'a' });

      await runFlow(new GraphFlow('g').add(c, b, a), { executor });

      expect(log).toEqual(['a execute', 'b execute', 'c execute']);
    });

    it('reverts a graph in reverse topological order', async () => {
      const a = new ReturnsValue('a', log, { provides: 'a' });
      const b = new ReturnsValue('b', log, { requires: ['a'], provides: 'b' });
      const c = new AlwaysFails('c', log, { requires: ['b'] });
      const { engine, capture } = load(new GraphFlow('g').add(c, b, a), { executor });

      await expect(engine.run()).rejects.toThrow('c failed');

      expect(capture.atomValues).toEqual([
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
        'a REVERTING',
        'a REVERTED',
      ]);
    });

    it('skips an atom whose link decider says no (IGNORE)', async () => {
      const a = new ReturnsValue('a', log, { value: 1, provides: 'a' });
      const b = new ReturnsValue('b', log);
      const g = new GraphFlow('g').add(a, b);
      g.link(a, b, { decider: (h) => h['a'] === 2 });
      const { engine } = load(g, { executor });

      await engine.run();

      expect(engine.state).toBe('SUCCESS');
      expect(engine.storage.getAtomState('b')).toBe('IGNORE');
      expect(log).toEqual(['a execute']);
    });
  });

  describe('revert', () => {
    it('reverts completed atoms in reverse order with their own args, result and all failures', async () => {
      const a = new ReturnsValue('a', log, { requires: ['x'], value: 'A', provides: 'a' });
      const b = new ReturnsValue('b', log, { requires: ['a'], value: 'B' });
      const c = new AlwaysFails('c', log);
      const d = new ReturnsValue('d', log);
      const { engine, capture } = load(new LinearFlow('f').add(a, b, c, d), { store: { x: 1 }, executor });

      await expect(engine.run()).rejects.toThrow('c failed');

      expect(capture.atomValues).toEqual([
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
        'a REVERTING',
        'a REVERTED',
      ]);
      expect(capture.flowValues).toEqual(['f RUNNING', 'f REVERTED']);
      expect(log).toEqual([
        'a execute',
        'b execute',
        'c execute',
        'c revert failure',
        'b revert "B"',
        'a revert "A"',
      ]);
      expect(b.revertArgs?.args).toEqual({ a: 'A' });
      expect(b.revertArgs?.outcome).toEqual({ status: 'success', value: 'B' });
      expect(Object.keys(b.revertArgs?.flowFailures ?? {})).toEqual(['c']);
      expect(c.revertArgs?.result).toBeInstanceOf(Failure);
      expect(c.revertArgs?.outcome.status).toBe('failure');
      expect(engine.storage.getAtomState('d')).toBe('PENDING');
      expect(engine.state).toBe('REVERTED');
    });

    it('a failing revert leaves REVERT_FAILURE, flow FAILURE, and stops further reverts', async () => {
      const a = new ReturnsValue('a', log);
      const b = new RevertFails('b', log);
      const c = new AlwaysFails('c', log);
      const { engine, capture } = load(new LinearFlow('f').add(a, b, c), { executor });

      const err = await engine.run().catch((e: unknown) => e);

      expect(err).toMatchObject({ message: 'b revert failed', cause: { message: 'c failed' } });
      expect(capture.atomValues.slice(-4)).toEqual([
        'c REVERTING',
        'c REVERTED',
        'b REVERTING',
        'b REVERT_FAILURE',
      ]);
      expect(engine.storage.getAtomState('a')).toBe('SUCCESS');
      expect(engine.state).toBe('FAILURE');
    });

    it('continueRevertOnFailure reverts the rest and reports every failure', async () => {
      const a = new ReturnsValue('a', log);
      const b = new RevertFails('b', log);
      const c = new AlwaysFails('c', log);
      const { engine } = load(new LinearFlow('f').add(a, b, c), { executor, continueRevertOnFailure: true });

      const err = await engine.run().catch((e: unknown) => e);

      expect(err).toBeInstanceOf(WrappedFailure);
      expect((err as WrappedFailure).failures.map((f) => f.message).sort()).toEqual([
        'b revert failed',
        'c failed',
      ]);
      expect(engine.storage.getAtomState('a')).toBe('REVERTED');
      expect(engine.state).toBe('FAILURE');
    });

    it('neverResolve fails without reverting', async () => {
      const { engine, capture } = load(
        new LinearFlow('f').add(new ReturnsValue('a', log), new AlwaysFails('b', log)),
        { executor, neverResolve: true },
      );

      await expect(engine.run()).rejects.toThrow('b failed');

      expect(capture.atomValues).toEqual(['a RUNNING', 'a SUCCESS', 'b RUNNING', 'b FAILURE']);
      expect(engine.state).toBe('FAILURE');
    });

    it('several failures at once reject with a WrappedFailure', async () => {
      const flow = new UnorderedFlow('f').add(new AlwaysFails('a', log), new AlwaysFails('b', log));

      const err = await runFlow(flow, { executor }).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(WrappedFailure);
      expect((err as WrappedFailure).failures).toHaveLength(2);
    });
  });

  describe('retries', () => {
    it('Times re-runs the sub-flow, providing the attempt number, then succeeds', async () => {
      const t = new FailsNTimes('t', log, 2, { requires: ['attempt'], provides: 'out' });
      const flow = new LinearFlow('f', new Times(3, { name: 'r', provides: 'attempt' })).add(t);
      const { engine, capture } = load(flow, { executor });

      await engine.run();

      expect(engine.storage.fetch('out')).toBe('t');
      expect(t.lastArgs).toEqual({ attempt: 3 });
      expect(engine.storage.getRetryHistory('r').length).toBe(3);
      expect(capture.atomValues.slice(0, 8)).toEqual([
        'r RUNNING',
        'r SUCCESS',
        't RUNNING',
        't FAILURE',
        't REVERTING',
        't REVERTED',
        'r RETRYING',
        't PENDING',
      ]);
    });

    it('Times out of attempts reverts everything and clears the history', async () => {
      const flow = new LinearFlow('f', new Times(2, { name: 'r' })).add(
        new ReturnsValue('a', log),
        new AlwaysFails('b', log),
      );
      const { engine, capture } = load(flow, { executor });

      await expect(engine.run()).rejects.toThrow('b failed');

      expect(capture.atomValues.slice(-8)).toEqual([
        'b RUNNING',
        'b FAILURE',
        'b REVERTING',
        'b REVERTED',
        'a REVERTING',
        'a REVERTED',
        'r REVERTING',
        'r REVERTED',
      ]);
      expect(engine.storage.getRetryHistory('r').length).toBe(0);
      expect(log.filter((l) => l === 'b execute')).toHaveLength(2);
    });

    it('ForEach tries each value and then reverts', async () => {
      const t = new FailsNTimes('t', log, 10, { requires: ['v'] });
      const flow = new LinearFlow('f', new ForEach([1, 2, 3], { name: 'r', provides: 'v' })).add(t);

      await expect(runFlow(flow, { executor })).rejects.toThrow('t failed');

      expect(log.filter((l) => l === 't execute')).toHaveLength(3);
    });

    it('ParameterizedForEach reads its values from storage', async () => {
      const t = new FailsNTimes('t', log, 1, { requires: ['v'], provides: 'got' });
      const flow = new LinearFlow(
        'f',
        new ParameterizedForEach({ name: 'r', provides: 'v', rebind: { values: 'choices' } }),
      ).add(t);

      const res = await runFlow(flow, { store: { choices: ['x', 'y'] }, executor });

      expect(t.lastArgs).toEqual({ v: 'y' });
      expect(res['got']).toBe('t');
    });

    it('AlwaysRevert reverts only its sub-flow (no parent retry)', async () => {
      const flow = new LinearFlow('f').add(
        new ReturnsValue('a', log),
        new LinearFlow('s', new AlwaysRevert({ name: 'r' })).add(
          new ReturnsValue('b', log),
          new AlwaysFails('c', log),
        ),
        new ReturnsValue('d', log),
      );
      const { engine } = load(flow, { executor });

      await expect(engine.run()).rejects.toThrow('c failed');

      expect(engine.storage.getAtomStates()).toEqual({
        a: 'SUCCESS',
        r: 'REVERTED',
        b: 'REVERTED',
        c: 'REVERTED',
        d: 'PENDING',
      });
      expect(engine.state).toBe('REVERTED');
    });

    it('AlwaysRevertAll reverts everything', async () => {
      const flow = new LinearFlow('f').add(
        new ReturnsValue('a', log),
        new LinearFlow('s', new AlwaysRevertAll({ name: 'r' })).add(new AlwaysFails('c', log)),
      );
      const { engine } = load(flow, { executor });

      await expect(engine.run()).rejects.toThrow('c failed');

      expect(engine.storage.getAtomStates()).toEqual({ a: 'REVERTED', r: 'REVERTED', c: 'REVERTED' });
    });

    it('a sub-flow REVERT defers to the parent retry with deferReverts', async () => {
      const build = () =>
        new LinearFlow('f', new Times(2, { name: 'r1' })).add(
          new ReturnsValue('a', log),
          new LinearFlow('s', new AlwaysRevert({ name: 'r2' })).add(new AlwaysFails('c', log)),
        );
      const plain = load(build(), { executor });
      const deferred = load(build(), { executor, deferReverts: true });

      await expect(plain.engine.run()).rejects.toThrow('c failed');
      await expect(deferred.engine.run()).rejects.toThrow('c failed');

      expect(plain.engine.storage.getAtomState('r1')).toBe('SUCCESS');
      expect(deferred.engine.storage.getAtomState('r1')).toBe('REVERTED');
      expect(deferred.engine.storage.getAtomState('a')).toBe('REVERTED');
    });
  });

  describe('suspend and reset', () => {
    it('suspend lets the running atom finish, starts no new one, and run() continues', async () => {
      const a = new ReturnsValue('a', log, { delayMs: 5 });
      const b = new ReturnsValue('b', log);
      const { engine } = load(new LinearFlow('f').add(a, b), { executor });
      const off = engine.atomNotifier.register('RUNNING', () => engine.suspend());

      await engine.run();
      expect(engine.state).toBe('SUSPENDED');
      expect(log).toEqual(['a execute']);

      off();
      await engine.run();
      expect(engine.state).toBe('SUCCESS');
      expect(log).toEqual(['a execute', 'b execute']);
    });

    it('reset allows running the flow again', async () => {
      const { engine } = load(new LinearFlow('f').add(new ReturnsValue('a', log)), { executor });
      await engine.run();

      engine.reset();
      await engine.run();

      expect(log).toEqual(['a execute', 'a execute']);
      expect(engine.state).toBe('SUCCESS');
    });
  });

  describe('parallel behaviour', () => {
    it('runs independent async atoms concurrently only with the parallel executor', async () => {
      let active = 0;
      let peak = 0;
      const mk = (n: string) =>
        task(n, async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 10));
          active--;
        });
      const flow = new UnorderedFlow('u').add(mk('a'), mk('b'), mk('c'), mk('d'));

      await runFlow(flow, { executor, maxWorkers: 3 });

      expect(peak).toBe(executor === 'parallel' ? 3 : 1);
    });
  });
});

describe('array results with a list provides (TaskFlow positional mapping)', () => {
  it('maps each provided name to the same position of an array result', async () => {
    const log: CallLog = [];
    const a = new ReturnsValue('a', log, { value: [1, 2], provides: ['first', 'second'] });
    const b = new ReturnsValue('b', log, { requires: ['second', 'first'] });

    const res = await runFlow(new LinearFlow('f').add(a, b));

    expect(b.lastArgs).toEqual({ second: 2, first: 1 });
    expect(res).toEqual({ first: 1, second: 2 });
  });
});

describe('bad input', () => {
  it('refuses a flow nested in itself, a non-flow, and an unknown executor with clear errors', () => {
    const outer = new LinearFlow('outer');
    const inner = new LinearFlow('inner').add(outer);
    outer.add(inner);

    expect(() => new Engine(outer).compile()).toThrow(DependencyFailure);
    expect(() => new Engine({} as never)).toThrow(TypeError);
    expect(() => new Engine(new LinearFlow('f'), { executor: 'threads' as never })).toThrow(
      /unknown executor/,
    );
  });
});

describe.each<Exec>(['serial', 'parallel'])('never-run atoms (%s)', (executor) => {
  it('are not reverted when a sibling fails in the same batch as their predecessor finishes', async () => {
    const log: CallLog = [];
    const flow = new LinearFlow('f').add(
      new UnorderedFlow('u').add(
        new LinearFlow('l').add(
          new ReturnsValue('a1', log, { provides: 'pa' }),
          new ReturnsValue('a2', log, { requires: ['pa'] }),
        ),
        new AlwaysFails('c', log),
      ),
    );
    const { engine } = load(flow, { executor });

    await expect(engine.run()).rejects.toThrow('c failed');

    expect(engine.storage.getAtomState('a2')).toBe('PENDING');
    expect(log.filter((l) => l.startsWith('a2'))).toEqual([]);
    expect(engine.storage.getAtomState('a1')).toBe('REVERTED');
  });
});

describe('class tasks declaring requires/provides as fields (STYLE.md §3)', () => {
  it('wires field declarations like constructor options', async () => {
    class Reserve extends Task<{ projectId: string; sizeGb: number }, { reservationId: string }> {
      override readonly requires = ['projectId', 'sizeGb'] as const;
      override readonly provides = ['reservationId'] as const;
      constructor() {
        super('volume.reserve-quota');
      }
      execute({ projectId, sizeGb }: { projectId: string; sizeGb: number }) {
        return { reservationId: `${projectId}-${sizeGb}` };
      }
    }

    const res = await runFlow(new LinearFlow<{ projectId: string; sizeGb: number }>('f').add(new Reserve()), {
      store: { projectId: 'p', sizeGb: 2 },
    });

    expect(res['reservationId']).toBe('p-2');
  });
});
