/**
 * Conformance invariants under real concurrency: a nested flow (linear in unordered in graph) of async tasks with
 * seeded random delays, a failure injected into each atom in turn, both executors. Checks what TaskFlow guarantees
 * (and issue #3 states) whatever the interleaving:
 * - an atom starts only after every data predecessor finished;
 * - on failure the flow ends REVERTED, rejects with the injected error, every atom that executed is reverted exactly
 *   once (the failing one with its Failure), atoms that never ran are not reverted and stay PENDING;
 * - an atom's revert starts only after the reverts of its executed successors finished.
 */
import { Engine, Failure, GraphFlow, LinearFlow, task, Times, UnorderedFlow } from '../../../../src/taskflow';
import { EXECUTORS } from './harness';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PREDS: Record<string, string[]> = {
  start: [],
  a1: ['start'],
  a2: ['a1'],
  b1: ['start'],
  b2: ['b1'],
  c: ['start'],
  end: ['a2', 'b2', 'c'],
};
const SUCCS: Record<string, string[]> = Object.fromEntries(
  Object.keys(PREDS).map((n) => [n, Object.keys(PREDS).filter((m) => PREDS[m]!.includes(n))]),
);
const WIRING: Record<string, { requires: string[]; provides: string }> = {
  start: { requires: [], provides: 's' },
  a1: { requires: ['s'], provides: 'pa1' },
  a2: { requires: ['pa1'], provides: 'qa' },
  b1: { requires: ['s'], provides: 'pb1' },
  b2: { requires: ['pb1'], provides: 'qb' },
  c: { requires: ['s'], provides: 'qc' },
  end: { requires: ['qa', 'qb', 'qc'], provides: 'e' },
};

interface Ev {
  seq: number;
  kind: 'exec-start' | 'exec-end' | 'revert-start' | 'revert-end';
  atom: string;
  result?: unknown;
}

function build(log: Ev[], failAt: string | undefined, delay: () => number) {
  let seq = 0;
  const mk = (name: string) =>
    task(
      name,
      async (_args: Record<string, unknown>) => {
        log.push({ seq: seq++, kind: 'exec-start', atom: name });
        await new Promise((r) => setTimeout(r, delay()));
        log.push({ seq: seq++, kind: 'exec-end', atom: name });
        if (name === failAt) throw new Error(`${name} failed`);
        return name;
      },
      {
        ...WIRING[name]!,
        revert: async ({ result }) => {
          log.push({ seq: seq++, kind: 'revert-start', atom: name, result });
          await new Promise((r) => setTimeout(r, delay()));
          log.push({ seq: seq++, kind: 'revert-end', atom: name });
        },
      },
    );
  return new GraphFlow('g').add(
    mk('start'),
    new UnorderedFlow('u').add(
      new LinearFlow('l1').add(mk('a1'), mk('a2')),
      new LinearFlow('l2').add(mk('b1'), mk('b2')),
      mk('c'),
    ),
    mk('end'),
  );
}

const at = (log: Ev[], kind: Ev['kind'], atom: string) =>
  log.find((e) => e.kind === kind && e.atom === atom)?.seq;

describe.each(EXECUTORS)(
  'ordering and revert invariants under random async delays (%s executor)',
  (executor) => {
    const cases: [string | undefined, number][] = [];
    for (const failAt of [undefined, ...Object.keys(PREDS)])
      for (const seed of [1, 2, 3]) cases.push([failAt, seed]);

    it.each(cases)('failure in %s, seed %i', async (failAt, seed) => {
      const log: Ev[] = [];
      const r = rng(seed * 7919 + (failAt?.length ?? 0));
      const e = new Engine(
        build(log, failAt, () => Math.floor(r() * 4)),
        { executor, maxWorkers: 8 },
      );

      const err = await e.run().then(
        () => undefined,
        (x: unknown) => x,
      );

      const executed = [...new Set(log.filter((x) => x.kind === 'exec-start').map((x) => x.atom))];
      for (const atom of executed) {
        expect(log.filter((x) => x.kind === 'exec-start' && x.atom === atom)).toHaveLength(1);
        for (const p of PREDS[atom]!) {
          expect(at(log, 'exec-end', p)).toBeDefined();
          expect(at(log, 'exec-end', p)!).toBeLessThan(at(log, 'exec-start', atom)!);
        }
      }
      if (failAt === undefined) {
        expect(err).toBeUndefined();
        expect(e.storage.getFlowState()).toBe('SUCCESS');
        expect(executed.sort()).toEqual(Object.keys(PREDS).sort());
        expect(log.some((x) => x.kind === 'revert-start')).toBe(false);
        return;
      }
      expect((err as Error).message).toBe(`${failAt} failed`);
      expect(e.storage.getFlowState()).toBe('REVERTED');
      const reverted = log.filter((x) => x.kind === 'revert-start').map((x) => x.atom);
      expect([...reverted].sort()).toEqual([...executed].sort()); // every executed atom reverted, exactly once
      const states = e.storage.getAtomStates();
      for (const atom of Object.keys(PREDS))
        expect([atom, states[atom]]).toEqual([atom, executed.includes(atom) ? 'REVERTED' : 'PENDING']);
      const failedRevert = log.find((x) => x.kind === 'revert-start' && x.atom === failAt)!;
      expect(failedRevert.result).toBeInstanceOf(Failure);
      for (const atom of executed) {
        for (const s of SUCCS[atom]!) {
          if (!executed.includes(s)) continue;
          expect(at(log, 'revert-end', s)!).toBeLessThan(at(log, 'revert-start', atom)!);
        }
      }
    });
  },
);

describe.each(EXECUTORS)('retry invariants under random async delays (%s executor)', (executor) => {
  it.each([1, 2, 3, 4, 5, 6])(
    'seed %i: each failed attempt is fully reverted before the next one starts',
    async (seed) => {
      const r = rng(seed);
      const succeedOn = 1 + Math.floor(r() * 3); // attempt number that succeeds (1..3)
      const log: string[] = [];
      const mk = (name: string, fails: boolean) =>
        task(
          name,
          async ({ attempt }: { attempt: number }) => {
            log.push(`exec ${name} ${attempt}`);
            await new Promise((res) => setTimeout(res, Math.floor(r() * 4)));
            if (fails && attempt < succeedOn) throw new Error(`${name} attempt ${attempt}`);
            log.push(`done ${name} ${attempt}`);
            return attempt;
          },
          { requires: ['attempt'], revert: () => void log.push(`revert ${name}`) },
        );
      const f = new UnorderedFlow<{}, { attempt: number }>(
        'u',
        new Times(3, { name: 'r', provides: 'attempt' }),
      ).add(mk('p', false), new LinearFlow('l').add(mk('q1', false), mk('q2', true)), mk('s', false));
      const e = new Engine(f, { executor });

      await e.run();

      expect(e.storage.getFlowState()).toBe('SUCCESS');
      expect(e.storage.getRetryHistory('r').length).toBe(succeedOn);
      for (let attempt = 1; attempt < succeedOn; attempt++) {
        const nextStart = log.findIndex((l) => l.endsWith(` ${attempt + 1}`) && l.startsWith('exec '));
        for (const name of ['p', 'q1', 'q2', 's']) {
          const ran = log.indexOf(`exec ${name} ${attempt}`);
          if (ran < 0) continue;
          // Each atom that ran in a failed attempt is reverted before any atom of the next attempt starts.
          const rev = log.indexOf(`revert ${name}`, ran);
          expect([name, attempt, rev >= 0 && rev < nextStart]).toEqual([name, attempt, true]);
        }
      }
      expect(log.filter((l) => l.startsWith('exec q2')).length).toBe(succeedOn);
    },
  );
});
