/**
 * Conformance: what the persistence backend sees while a flow runs (TaskFlow writes every transition to its
 * storage before moving on), failures that serialise, the rejection being the original error, and the parallel
 * executor's concurrency limit.
 */
import {
  Engine,
  EngineTimeout,
  Failure,
  LinearFlow,
  MemoryBackend,
  task,
  Times,
  UnorderedFlow,
  type AtomDetail,
  type FlowDetail,
} from '../../../../src/taskflow';
import { Boom, EXECUTORS, Recorder } from './harness';

function states(fd: FlowDetail): Record<string, string> {
  return Object.fromEntries(fd.atomDetails.map((d) => [d.name, d.state]));
}

describe.each(EXECUTORS)('persistence and execution (%s executor)', (executor) => {
  it('has persisted earlier results and the running atom as RUNNING by the time an atom executes', async () => {
    const backend = new MemoryBackend();
    const seen: { flow: string; atoms: Record<string, string>; aResults: unknown }[] = [];
    const ref: { e?: Engine } = {};
    const f = new LinearFlow('f').add(
      task('a', () => 'A', { provides: 'x' }),
      task(
        'b',
        async () => {
          const fd = await backend.getFlowDetail(ref.e!.uuid);
          seen.push({
            flow: fd.state,
            atoms: states(fd),
            aResults: fd.atomDetails.find((d) => d.name === 'a')?.results,
          });
          return 'B';
        },
        { requires: ['x'] },
      ),
    );
    const e = new Engine(f, { executor, backend });
    ref.e = e;

    await e.run();

    expect(seen).toEqual([{ flow: 'RUNNING', atoms: { a: 'SUCCESS', b: 'RUNNING' }, aResults: 'A' }]);
    const after = await backend.getFlowDetail(e.uuid);
    expect(after.state).toBe('SUCCESS');
    expect(states(after)).toEqual({ a: 'SUCCESS', b: 'SUCCESS' });
  });

  it('persists a failure as JSON that round-trips to an equal Failure', async () => {
    const backend = new MemoryBackend();
    const f = new LinearFlow('f').add(
      task('a', () => 'A'),
      task('c', () => {
        throw new Boom('c failed');
      }),
    );
    const e = new Engine(f, { executor, backend, neverResolve: true });

    await expect(e.run()).rejects.toThrow('c failed');

    const fd = JSON.parse(JSON.stringify(await backend.getFlowDetail(e.uuid))) as FlowDetail;
    expect(fd.state).toBe('FAILURE');
    const c = fd.atomDetails.find((d) => d.name === 'c') as AtomDetail;
    expect(c.state).toBe('FAILURE');
    expect(Failure.isFailureJSON(c.failure)).toBe(true);
    const back = Failure.fromJSON(c.failure!);
    expect(back.exceptionType).toBe('Boom');
    expect(back.message).toBe('c failed');
    expect(back.check('Boom', 'Error')).toBe('Boom');
    expect(back.matches(e.storage.getFailures()['c'])).toBe(true);
  });

  it("keeps a retry's history (one entry per attempt) in its persisted atom detail", async () => {
    const backend = new MemoryBackend();
    const f = new LinearFlow<{}, { attempt: number }>(
      'f',
      new Times(3, { name: 'r', provides: 'attempt' }),
    ).add(
      task(
        'b',
        ({ attempt }: { attempt: number }) => {
          if (attempt < 2) throw new Boom(`attempt ${attempt} failed`);
          return attempt;
        },
        { requires: ['attempt'], provides: 'bv' },
      ),
    );
    const e = new Engine(f, { executor, backend });

    await e.run();

    const r = (await backend.getFlowDetail(e.uuid)).atomDetails.find((d) => d.name === 'r')!;
    const hist = r.results as { result: unknown; failures: Record<string, unknown> }[];
    expect(hist.map((h) => [h.result, Object.keys(h.failures)])).toEqual([
      [1, ['b']],
      [2, []],
    ]);
  });

  it('rejects with the very error object the task threw', async () => {
    const boom = new Boom('original');
    const f = new LinearFlow('f').add(
      task('a', () => 1),
      task('b', () => {
        throw boom;
      }),
    );

    const err = await new Engine(f, { executor }).run().catch((x: unknown) => x);

    expect(err).toBe(boom);
  });

  it('records execute and revert of every atom exactly once, also for async tasks', async () => {
    const rec = new Recorder();
    const slow = (name: string, ms: number, fail = false) =>
      task(
        name,
        async () => {
          rec.calls.push({ op: 'execute', atom: name });
          await new Promise((r) => setTimeout(r, ms));
          if (fail) throw new Boom(`${name} failed`);
          return name;
        },
        { revert: () => void rec.calls.push({ op: 'revert', atom: name }) },
      );
    const f = new LinearFlow('f').add(
      slow('a', 5),
      new UnorderedFlow('u').add(slow('b1', 20), slow('b2', 5, true), slow('b3', 10)),
    );

    await expect(new Engine(f, { executor }).run()).rejects.toThrow('b2 failed');

    const count = (op: string, atom: string) =>
      rec.calls.filter((c) => c.op === op && c.atom === atom).length;
    for (const a of ['a', 'b1', 'b2', 'b3']) {
      expect([a, count('execute', a), count('revert', a)]).toEqual([a, 1, 1]);
    }
    expect(rec.calls.at(-1)).toEqual({ op: 'revert', atom: 'a' });
  });
});

describe('parallel executor', () => {
  function sleepers(n: number, ms: number, live: { now: number; max: number }) {
    const items = [];
    for (let i = 0; i < n; i++) {
      items.push(
        task(`s${i}`, async () => {
          live.now++;
          live.max = Math.max(live.max, live.now);
          await new Promise((r) => setTimeout(r, ms));
          live.now--;
          return i;
        }),
      );
    }
    return new UnorderedFlow('u').add(...items);
  }

  it('runs independent atoms concurrently, never more than maxWorkers at once', async () => {
    const live = { now: 0, max: 0 };

    await new Engine(sleepers(12, 15, live), { executor: 'parallel', maxWorkers: 3 }).run();

    expect(live.max).toBe(3);
  });

  it('runs them one at a time with the serial executor', async () => {
    const live = { now: 0, max: 0 };

    await new Engine(sleepers(5, 5, live), { executor: 'serial' }).run();

    expect(live.max).toBe(1);
  });
});

describe('run timeout (issue #3 engine options)', () => {
  it('stops starting atoms after the deadline, lets the running one finish, rejects with EngineTimeout', async () => {
    const log: string[] = [];
    const slow = (name: string, ms: number) =>
      task(name, async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        return name;
      });
    const e = new Engine(new LinearFlow('f').add(slow('a', 60), slow('b', 1)), { timeoutMs: 20 });

    const err = await e.run().catch((x: unknown) => x);

    expect(err).toBeInstanceOf(EngineTimeout);
    expect(log).toEqual(['start a', 'end a']);
    expect(e.storage.getAtomStates()).toEqual({ a: 'SUCCESS', b: 'PENDING' });
    expect(e.storage.getFlowState()).toBe('SUSPENDED');
  });
});

describe('Failure serialisation (issue #3 "failures that serialise")', () => {
  it('round-trips class names, message, stack and the cause chain through JSON', () => {
    class QuotaError extends Error {
      constructor(message: string, options?: ErrorOptions) {
        super(message, options);
        this.name = 'QuotaError';
      }
    }
    const original = new QuotaError('over quota', { cause: new TypeError('bad size') });

    const back = Failure.fromJSON(
      JSON.parse(JSON.stringify(Failure.fromError(original))) as ReturnType<Failure['toJSON']>,
    );

    expect(back.excTypeNames.slice(0, 2)).toEqual(['QuotaError', 'Error']);
    expect(back.message).toBe('over quota');
    expect(back.stack).toBe(original.stack);
    expect(back.cause?.exceptionType).toBe('TypeError');
    expect(back.cause?.message).toBe('bad size');
    expect(back.matches(Failure.fromError(original))).toBe(true);
    const rebuilt = back.toError() as Error & { cause?: Error };
    expect([rebuilt.name, rebuilt.message, rebuilt.cause?.name, rebuilt.cause?.message]).toEqual([
      'QuotaError',
      'over quota',
      'TypeError',
      'bad size',
    ]);
  });
});
