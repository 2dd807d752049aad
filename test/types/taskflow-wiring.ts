/**
 * Type tests for typed wiring (checked by `tsc --noEmit`; not a jest file). Each `@ts-expect-error` line must fail
 * to compile; if it compiled, tsc would report the unused directive.
 */
import { Engine, GraphFlow, LinearFlow, Task, Times, UnorderedFlow, runFlow, task } from '../../src/taskflow';

interface ReserveIn {
  projectId: string;
  sizeGb: number;
}
class Reserve extends Task<ReserveIn, { reservationId: string }> {
  constructor() {
    super('reserve', { requires: ['projectId', 'sizeGb'], provides: ['reservationId'] });
  }
  execute(a: ReserveIn): { reservationId: string } {
    return { reservationId: a.projectId + a.sizeGb };
  }
}
class Commit extends Task<{ reservationId: string }, void> {
  constructor() {
    super('commit', { requires: ['reservationId'] });
  }
  execute(): void {}
}
const extract = task('extract', ({ size }: { size: number }) => ({ sizeGb: size, projectId: 'p' }), {
  requires: ['size'],
  provides: ['sizeGb', 'projectId'],
});
const single = task('single', ({ sizeGb }: { sizeGb: number }) => sizeGb * 2, {
  requires: ['sizeGb'],
  provides: 'doubled',
});
const usesDoubled = task('usesDoubled', ({ doubled }: { doubled: number }) => doubled, {
  requires: ['doubled'],
});
const withOptional = task('opt', (a: { sizeGb: number; hint?: string }) => a.hint ?? '', {
  requires: ['sizeGb'],
  optional: ['hint'],
});

// ---- closed linear flows: declared inputs; every requirement must be available earlier

const ok = new LinearFlow<{ projectId: string; sizeGb: number }>('ok').add(new Reserve()).add(new Commit());
new Engine(ok, { store: { projectId: 'p', sizeGb: 1 } });
void runFlow(ok, { store: { projectId: 'p', sizeGb: 1 } });

// a requirement nothing earlier provides
// @ts-expect-error reservationId is not available before Commit
new LinearFlow<{ projectId: string; sizeGb: number }>('bad').add(new Commit());

// order matters within one add call too
// @ts-expect-error Commit comes before the Reserve that provides reservationId
new LinearFlow<{ projectId: string; sizeGb: number }>('bad2').add(new Commit(), new Reserve());
new LinearFlow<{ projectId: string; sizeGb: number }>('good2').add(new Reserve(), new Commit());

// provides of a functional task: list (object keys) and single name
new LinearFlow<{ size: number }>('f').add(extract).add(new Reserve()).add(single).add(usesDoubled);
// @ts-expect-error doubled is only available after `single`
new LinearFlow<{ size: number }>('f2').add(extract).add(usesDoubled);

// optional arguments are not required
new LinearFlow<{ sizeGb: number }>('o').add(withOptional);

// the engine demands exactly the declared store
// @ts-expect-error sizeGb missing from the store
new Engine(ok, { store: { projectId: 'p' } });
// @ts-expect-error extra name in the store of a closed flow
new Engine(ok, { store: { projectId: 'p', sizeGb: 1, extra: true } });
// @ts-expect-error wrong value type
new Engine(ok, { store: { projectId: 'p', sizeGb: 'one' } });
// @ts-expect-error the store is required
new Engine(ok);

// ---- closed unordered flows: siblings are invisible to each other

new UnorderedFlow<{ projectId: string; sizeGb: number }>('u').add(new Reserve(), withOptional);
// @ts-expect-error Commit cannot use its sibling Reserve's reservationId
new UnorderedFlow<{ projectId: string; sizeGb: number }>('u2').add(new Reserve(), new Commit());

// @ts-expect-error siblings stay invisible across add calls too
new UnorderedFlow<{ projectId: string; sizeGb: number }>('u3').add(new Reserve()).add(new Commit());
const openU = new UnorderedFlow('u4').add(new Reserve()).add(new Commit());
// @ts-expect-error an open unordered flow needs reservationId from outside (its sibling cannot provide it)
new Engine(openU, { store: { projectId: 'p', sizeGb: 1 } });
new Engine(openU, { store: { projectId: 'p', sizeGb: 1, reservationId: 'r' } });

// ---- nested flows: a sub-flow's needs must be available in the parent

const sub = new LinearFlow<{ reservationId: string }>('sub').add(new Commit());
new LinearFlow<{ projectId: string; sizeGb: number }>('outer').add(new Reserve()).add(sub);
// @ts-expect-error the sub-flow needs reservationId, which the parent does not have
new LinearFlow<{ projectId: string; sizeGb: number }>('outer2').add(sub);

// ---- open flows: needs are inferred and the engine demands them

const open = new LinearFlow('open').add(new Reserve()).add(new Commit());
new Engine(open, { store: { projectId: 'p', sizeGb: 1 } });
// @ts-expect-error sizeGb is needed by Reserve and nothing provides it
new Engine(open, { store: { projectId: 'p' } });
// @ts-expect-error an open flow with needs requires a store
new Engine(open);
const openChain = new LinearFlow('chain').add(extract).add(new Reserve());
new Engine(openChain, { store: { size: 3 } });
// @ts-expect-error extract needs size
new Engine(openChain, { store: { sizeGb: 3, projectId: 'p' } });

// untyped tasks need nothing at the type level
class Untyped extends Task {
  execute(): number {
    return 1;
  }
}
new Engine(new LinearFlow('u').add(new Untyped('x', { requires: ['anything'] })), { store: { anything: 1 } });

// ---- graph flows check at run time only
const g = new GraphFlow('g').add(new Commit(), new Reserve());
new Engine(g, { store: {} });

// ---- names a retry provides are declared as the second type argument (linear and unordered)
const retried = new UnorderedFlow<{}, { attempt: number }>('ru', new Times(2, { provides: 'attempt' })).add(
  task('uses', ({ attempt }: { attempt: number }) => attempt, { requires: ['attempt'] }),
);
new Engine(retried);
new Engine(
  new LinearFlow<{}, { attempt: number }>('rl', new Times(2, { provides: 'attempt' })).add(
    task('u2', ({ attempt }: { attempt: number }) => attempt, { requires: ['attempt'] }),
  ),
);

// ---- rebind (map) and inject change what a functional task needs from its flow
const rebound = task('rebound', ({ value }: { value: number }) => value + 1, {
  requires: ['value'],
  provides: 'out',
  rebind: { value: 'source' },
});
new Engine(new LinearFlow('rb').add(rebound), { store: { source: 1 } });
// @ts-expect-error the flow must provide the stored name `source`, not the argument name `value`
new Engine(new LinearFlow('rb2').add(rebound), { store: { value: 1 } });
// @ts-expect-error closed flow: `source` is not available
new LinearFlow<{ value: number }>('rb3').add(rebound);
new LinearFlow<{ source: number }>('rb4').add(rebound);
const injected = task('inj', ({ x, y }: { x: number; y: number }) => x + y, {
  requires: ['x', 'y'],
  inject: { x: 1 },
});
new Engine(new LinearFlow('in1').add(injected), { store: { y: 2 } });
// @ts-expect-error y is still needed
new Engine(new LinearFlow('in2').add(injected));
new LinearFlow<{ y: number }>('in3').add(injected);
