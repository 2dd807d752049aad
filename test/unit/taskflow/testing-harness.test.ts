import { LinearFlow, task } from '../../../src/taskflow';
import { InjectedFailure, formatRollbackReport, runRollbackScenarios } from '../../../src/taskflow/testing';

/** A tiny "system": a quota counter and a set of rows. */
function system() {
  const state = { reserved: 0, rows: [] as string[] };
  const flow = (leaky: boolean) =>
    new LinearFlow('create').add(
      task('reserve', () => void (state.reserved += 1), {
        // Reversion strategy: give the unit back, but only if execute took it.
        revert: ({ outcome }) => void (outcome.status === 'success' && (state.reserved -= 1)),
      }),
      task('insert', ({ id }: { id: string }) => void state.rows.push(id), {
        requires: ['id'],
        revert: ({ args }) => {
          if (!leaky) state.rows = state.rows.filter((r) => r !== args.id);
        },
      }),
      task('notify', () => 'sent'),
    );
  return { state, flow };
}

describe('rollback-scenario harness', () => {
  it('reports for each atom the final state, what reverted, and that the snapshot is restored', async () => {
    const s = system();

    const results = await runRollbackScenarios({
      flow: () => s.flow(false),
      store: { id: 'v1' },
      snapshot: () => structuredClone(s.state),
    });

    expect(results.map((r) => [r.scenario, r.flowState, r.reverted, r.restored])).toEqual([
      ["execute fails in 'reserve'", 'REVERTED', ['reserve'], true],
      ["execute fails in 'insert'", 'REVERTED', ['insert', 'reserve'], true],
      ["execute fails in 'notify'", 'REVERTED', ['notify', 'insert', 'reserve'], true],
    ]);
    expect(results.every((r) => r.failedAsInjected && r.error instanceof InjectedFailure)).toBe(true);
    expect(s.state).toEqual({ reserved: 0, rows: [] });
  });

  it('catches a revert that undoes what its failed execute never did', async () => {
    const state = { reserved: 0 };
    const flow = () =>
      new LinearFlow('f').add(
        task('reserve', () => void (state.reserved += 1), { revert: () => void (state.reserved -= 1) }),
      );

    const [r] = await runRollbackScenarios({ flow, snapshot: () => ({ ...state }) });

    expect(r).toMatchObject({ restored: false, before: { reserved: 0 }, after: { reserved: -1 } });
  });

  it('finds a revert that leaks state', async () => {
    const s = system();

    const results = await runRollbackScenarios({
      flow: () => s.flow(true),
      store: { id: 'v1' },
      snapshot: () => structuredClone(s.state),
      setup: () => void Object.assign(s.state, { reserved: 0, rows: [] }),
    });

    expect(results.filter((r) => !r.restored).map((r) => r.failAt)).toEqual(['notify']);
    expect(formatRollbackReport(results)).toContain("LEAK execute fails in 'notify'");
  });

  it('optionally injects revert failures and reports REVERT_FAILURE and the leak', async () => {
    const s = system();

    const results = await runRollbackScenarios({
      flow: () => s.flow(false),
      store: { id: 'v1' },
      snapshot: () => structuredClone(s.state),
      setup: () => void Object.assign(s.state, { reserved: 0, rows: [] }),
      revertFailures: true,
      atoms: ['reserve', 'notify'],
    });

    const r = results.find((x) => x.revertFailAt === 'reserve')!;
    expect(r.flowState).toBe('FAILURE');
    expect(r.revertFailed).toEqual(['reserve']);
    expect(r.restored).toBe(true); // reserve's own revert ran before the injected throw
    expect(results).toHaveLength(3);
  });
});
