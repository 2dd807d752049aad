/**
 * Conformance against TaskFlow 5.0's own retry tests (taskflow/tests/unit/test_retries.py); each `it` names the
 * TaskFlow test. `cond` is TaskFlow's ConditionalTask: requires x and y, fails ('Woot!') while x == 1.
 */
import { AlwaysRevert, CapturingListener, Engine, LinearFlow, Times } from '../../../../src/taskflow';
import { EXECUTORS, Recorder } from './harness';

const split = (values: string[]) => values.filter((v) => !v.startsWith('flow-'));

describe.each(EXECUTORS)('TaskFlow retry tests (%s executor)', (executor) => {
  const cond = (rec: Recorder, name: string, rebind?: Record<string, string>) =>
    rec.t(name, {
      requires: ['x', 'y'],
      rebind,
      fail: (kw) => ((kw['x'] as number) === 1 ? 'Woot!' : undefined),
    });

  it('test_states_retry_failure_nested_flow_fails', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('flow-1', new AlwaysRevert({ name: 'r1' })).add(
      rec.t('task1'),
      new LinearFlow('flow-2', new Times(3, { name: 'r2', provides: 'x' })).add(
        rec.t('task2'),
        cond(rec, 'task3'),
      ),
      rec.t('task4'),
    );
    const e = new Engine(f, { executor });
    e.storage.inject({ y: 2 });
    const cap = new CapturingListener().attach(e);

    await e.run();

    expect(e.storage.fetchAll()).toEqual({ y: 2, x: 2 });
    expect(cap.flowValues).toEqual(['flow-1 RUNNING', 'flow-1 SUCCESS']);
    expect(split(cap.atomValues)).toEqual([
      'r1 RUNNING',
      'r1 SUCCESS',
      'task1 RUNNING',
      'task1 SUCCESS',
      'r2 RUNNING',
      'r2 SUCCESS',
      'task2 RUNNING',
      'task2 SUCCESS',
      'task3 RUNNING',
      'task3 FAILURE',
      'task3 REVERTING',
      'task3 REVERTED',
      'task2 REVERTING',
      'task2 REVERTED',
      'r2 RETRYING',
      'task2 PENDING',
      'task3 PENDING',
      'r2 RUNNING',
      'r2 SUCCESS',
      'task2 RUNNING',
      'task2 SUCCESS',
      'task3 RUNNING',
      'task3 SUCCESS',
      'task4 RUNNING',
      'task4 SUCCESS',
    ]);
  });

  it.each([
    [
      false,
      [
        'task3 REVERTING',
        'task3 REVERTED',
        'task2 REVERTING',
        'task2 REVERTED',
        'r1 REVERTING',
        'r1 REVERTED',
      ],
    ],
    [
      true,
      [
        'task3 REVERTING',
        'task3 REVERTED',
        'task2 REVERTING',
        'task2 REVERTED',
        'r1 REVERTING',
        'r1 REVERTED',
        'task1 REVERTING',
        'task1 REVERTED',
      ],
    ],
  ] as const)('test_new_revert_vs_old (deferReverts %s)', async (deferReverts, tail) => {
    const rec = new Recorder();
    const f = new LinearFlow('flow-1').add(
      rec.t('task1'),
      new LinearFlow('flow-2', new Times(1, { name: 'r1', provides: 'x' })).add(
        rec.t('task2'),
        cond(rec, 'task3'),
      ),
      rec.t('task4'),
    );
    const e = new Engine(f, { executor, deferReverts });
    e.storage.inject({ y: 2 });
    const cap = new CapturingListener().attach(e);

    await e.run().catch(() => undefined);

    expect(cap.atomValues).toEqual([
      'task1 RUNNING',
      'task1 SUCCESS',
      'r1 RUNNING',
      'r1 SUCCESS',
      'task2 RUNNING',
      'task2 SUCCESS',
      'task3 RUNNING',
      'task3 FAILURE',
      ...tail,
    ]);
    expect(cap.flowValues).toEqual(['flow-1 RUNNING', 'flow-1 REVERTED']);
  });

  it('test_states_retry_failure_parent_flow_fails', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('flow-1', new Times(3, { name: 'r1', provides: 'x1' })).add(
      rec.t('task1'),
      new LinearFlow('flow-2', new Times(3, { name: 'r2', provides: 'x2' })).add(
        rec.t('task2'),
        rec.t('task3'),
      ),
      cond(rec, 'task4', { x: 'x1' }),
    );
    const e = new Engine(f, { executor });
    e.storage.inject({ y: 2 });
    const cap = new CapturingListener().attach(e);

    await e.run();

    expect(e.storage.fetchAll()).toEqual({ y: 2, x1: 2, x2: 1 });
    expect(cap.atomValues).toEqual([
      'r1 RUNNING',
      'r1 SUCCESS',
      'task1 RUNNING',
      'task1 SUCCESS',
      'r2 RUNNING',
      'r2 SUCCESS',
      'task2 RUNNING',
      'task2 SUCCESS',
      'task3 RUNNING',
      'task3 SUCCESS',
      'task4 RUNNING',
      'task4 FAILURE',
      'task4 REVERTING',
      'task4 REVERTED',
      'task3 REVERTING',
      'task3 REVERTED',
      'task2 REVERTING',
      'task2 REVERTED',
      'r2 REVERTING',
      'r2 REVERTED',
      'task1 REVERTING',
      'task1 REVERTED',
      'r1 RETRYING',
      'task1 PENDING',
      'r2 PENDING',
      'task2 PENDING',
      'task3 PENDING',
      'task4 PENDING',
      'r1 RUNNING',
      'r1 SUCCESS',
      'task1 RUNNING',
      'task1 SUCCESS',
      'r2 RUNNING',
      'r2 SUCCESS',
      'task2 RUNNING',
      'task2 SUCCESS',
      'task3 RUNNING',
      'task3 SUCCESS',
      'task4 RUNNING',
      'task4 SUCCESS',
    ]);
  });

  it('test_restart_reverted_flow_with_retry: a reverted flow with a retry fails again on the next run()', async () => {
    const rec = new Recorder();
    const e = new Engine(
      new LinearFlow('test', new Times(1, { name: 'r', provides: 'x' })).add(rec.t('fail', { fail: 'Woot' })),
      { executor },
    );

    await expect(e.run()).rejects.toThrow(/^Woot/);
    await expect(e.run()).rejects.toThrow(/^Woot/);
  });
});
