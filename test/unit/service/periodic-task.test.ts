import { RequestContext } from '../../../src/rpc/context';
import { Manager } from '../../../src/service/manager';
import {
  DEFAULT_INTERVAL,
  nearestBoundary,
  periodicTask,
  periodicTasksOf,
  registerPeriodicTask,
} from '../../../src/service/periodic-task';
import { RecordingLogger } from './recording-logger';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const ctx = RequestContext.admin();

class ParentManager extends Manager {
  readonly ran: string[] = [];

  @periodicTask({ spacing: 10 })
  async every10(): Promise<void> {
    this.ran.push('every10');
  }

  @periodicTask({ spacing: 25, name: 'quarter' })
  every25(): void {
    this.ran.push('quarter');
  }
}

class ChildManager extends ParentManager {
  @periodicTask
  everyDefault(): void {
    this.ran.push('everyDefault');
  }

  override async every10(): Promise<void> {
    this.ran.push('every10-child');
  }
}

class DisablingChild extends ParentManager {
  @periodicTask({ name: 'quarter', enabled: false })
  noQuarter(): void {}
}

class OptionsManager extends Manager {
  readonly ran: string[] = [];
  @periodicTask({ spacing: 30, runImmediately: true })
  immediate(): void {
    this.ran.push('immediate');
  }
  @periodicTask({ spacing: -1 })
  negative(): void {
    this.ran.push('negative');
  }
  @periodicTask({ enabled: false })
  disabled(): void {
    this.ran.push('disabled');
  }
  @periodicTask({ spacing: 5, runImmediately: true, externalProcessOk: true })
  external(): void {
    this.ran.push('external');
  }
}

class FailingManager extends Manager {
  readonly ran: string[] = [];
  @periodicTask({ runImmediately: true })
  first(): void {
    throw new Error('first broke');
  }
  @periodicTask({ runImmediately: true })
  second(): void {
    this.ran.push('second');
  }
}

const seconds = (s: number): number => s * 1000;

describe('periodic tasks', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs a task one spacing after the manager was created and idles until then', async () => {
    const m = new ParentManager({ host: 'h', random: () => 0 });

    const idleAtStart = await m.runPeriodicTasks(ctx);
    jest.advanceTimersByTime(seconds(4));
    const idleAt4 = await m.runPeriodicTasks(ctx);
    jest.advanceTimersByTime(seconds(6));
    const idleAt10 = await m.runPeriodicTasks(ctx);

    expect(idleAtStart).toBe(10);
    expect(idleAt4).toBe(6);
    expect(m.ran).toEqual(['every10']);
    expect(idleAt10).toBe(10);
  });

  it('keeps runs on the spacing grid when the runner is late, and idles to the next due task', async () => {
    const m = new ParentManager({ host: 'h', random: () => 0 });

    jest.advanceTimersByTime(seconds(13));
    const idleAt13 = await m.runPeriodicTasks(ctx); // every10 runs; last run snaps to t=10
    jest.advanceTimersByTime(seconds(7));
    const idleAt20 = await m.runPeriodicTasks(ctx); // every10 due again at 20
    jest.advanceTimersByTime(seconds(5));
    const idleAt25 = await m.runPeriodicTasks(ctx); // quarter due at 25

    // oslo counts a task that just ran as a full spacing away (it ignores the snap to t=10)
    expect(idleAt13).toBe(10);
    expect(idleAt20).toBe(5);
    expect(idleAt25).toBe(5);
    expect(m.ran).toEqual(['every10', 'every10', 'quarter']);
    expect(m.periodicLastRunOf('every10')).toBe(T0.getTime() / 1000 + 20);
  });

  it('computes the nearest boundary with a 0-5 % whole-second jitter', () => {
    expect(nearestBoundary(null, 10, 123, () => 0.5)).toBe(123);
    expect(nearestBoundary(0, 10, 23, () => 0)).toBe(20);
    expect(nearestBoundary(0, 10, 23, () => 0.99)).toBe(20); // 10 s spacing: jitter rounds to 0
    expect(nearestBoundary(0, 100, 250, () => 0.99)).toBe(204);
  });

  it('caps the idle time at the default interval and uses it for spacing 0', async () => {
    const m = new ChildManager({ host: 'h', random: () => 0 });

    expect(m.periodicTaskSpecs.find((t) => t.name === 'everyDefault')?.spacing).toBe(DEFAULT_INTERVAL);
    jest.advanceTimersByTime(seconds(200));
    await m.runPeriodicTasks(ctx);
    const idle = await m.runPeriodicTasks(ctx);

    expect(idle).toBeLessThanOrEqual(DEFAULT_INTERVAL);
    expect(idle).toBe(10);
  });

  it('runs runImmediately tasks on the first pass and skips negative, disabled and (when configured) external tasks', async () => {
    const log = new RecordingLogger();
    const noExternal = new OptionsManager({ host: 'h', logger: log, runExternalPeriodicTasks: false });
    const withExternal = new OptionsManager({ host: 'h' });

    const idle = await noExternal.runPeriodicTasks(ctx);
    await withExternal.runPeriodicTasks(ctx);

    expect(noExternal.ran).toEqual(['immediate']);
    expect(idle).toBe(30);
    expect(withExternal.ran).toEqual(['immediate', 'external']);
    expect(noExternal.periodicTaskSpecs.map((t) => t.name)).toEqual(['immediate', 'external']);
    expect(log.matching(/skipping periodic task/).map((l) => l.meta['task'])).toEqual([
      'negative',
      'disabled',
    ]);
  });

  it('logs a failing task and runs the others, or rethrows when asked', async () => {
    const log = new RecordingLogger();
    const m = new FailingManager({ host: 'h', logger: log });

    await m.runPeriodicTasks(ctx);
    const m2 = new FailingManager({ host: 'h' });
    const err = await m2.runPeriodicTasks(ctx, { raiseOnError: true }).catch((e: unknown) => e);

    expect(m.ran).toEqual(['second']);
    const errors = log.matching(/error during periodic task/, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.meta['task']).toBe('FailingManager.first');
    expect((errors[0]!.meta['err'] as Error).message).toBe('first broke');
    expect(err).toBeInstanceOf(Error);
    expect(m2.ran).toEqual([]);
  });

  it('gives each subclass its own copy of the registry', () => {
    class Later extends ParentManager {
      extra(): void {}
    }
    registerPeriodicTask(Later, 'extra', { spacing: 7 });

    expect(periodicTasksOf(ParentManager).map((t) => t.name)).toEqual(['every10', 'quarter']);
    expect(periodicTasksOf(ChildManager).map((t) => t.name)).toEqual(['every10', 'quarter', 'everyDefault']);
    expect(periodicTasksOf(DisablingChild).map((t) => t.name)).toEqual(['every10']);
    expect(periodicTasksOf(Later).map((t) => [t.name, t.spacing])).toEqual([
      ['every10', 10],
      ['quarter', 25],
      ['extra', 7],
    ]);
    expect(periodicTasksOf(ParentManager)).toHaveLength(2);
  });

  it('runs the subclass override of an inherited task', async () => {
    const m = new ChildManager({ host: 'h', random: () => 0 });

    jest.advanceTimersByTime(seconds(10));
    await m.runPeriodicTasks(ctx);

    expect(m.ran).toEqual(['every10-child']);
  });

  it('adds a task to one instance only', async () => {
    const a = new ParentManager({ host: 'h' });
    const b = new ParentManager({ host: 'h' });
    const calls: string[] = [];

    expect(
      a.addPeriodicTask(() => void calls.push('added'), { name: 'added', spacing: 3, runImmediately: true }),
    ).toBe(true);
    expect(a.addPeriodicTask(() => undefined, { name: 'off', spacing: -5 })).toBe(false);
    const idle = await a.runPeriodicTasks(ctx);

    expect(calls).toEqual(['added']);
    expect(idle).toBe(3);
    expect(b.periodicTaskSpecs.map((t) => t.name)).toEqual(['every10', 'quarter']);
    expect(periodicTasksOf(ParentManager).map((t) => t.name)).toEqual(['every10', 'quarter']);
  });

  it('rejects a non-finite spacing', () => {
    class Bad extends Manager {
      m(): void {}
    }
    expect(() => registerPeriodicTask(Bad, 'm', { spacing: Number.NaN })).toThrow(TypeError);
    expect(() => registerPeriodicTask(Bad, 'nope')).toThrow('not a method');
  });
});
