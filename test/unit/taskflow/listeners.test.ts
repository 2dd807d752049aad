import {
  CapturingListener,
  Engine,
  EngineTimeout,
  Failure,
  LinearFlow,
  LoggingListener,
  TimingListener,
  task,
  type AtomEvent,
  type Logger,
  type ProgressEvent,
} from '../../../src/taskflow';

function memoryLogger(): Logger & { lines: [string, string, Record<string, unknown> | undefined][] } {
  const lines: [string, string, Record<string, unknown> | undefined][] = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) =>
    void lines.push([level, message, meta]);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('listeners', () => {
  it('announce flow and atom transitions with old state and result or Failure', async () => {
    const flow = new LinearFlow('f').add(
      task('a', () => 42, { provides: 'x' }),
      task('b', () => {
        throw new Error('bad');
      }),
    );
    const engine = new Engine(flow);
    const capture = new CapturingListener().attach(engine);

    await expect(engine.run()).rejects.toThrow('bad');

    expect(capture.flowEvents.map((e) => `${e.oldState}>${e.state}`)).toEqual([
      'PENDING>RUNNING',
      'RUNNING>REVERTED',
    ]);
    const aSuccess = capture.atomEvents.find((e) => e.atomName === 'a' && e.state === 'SUCCESS')!;
    expect(aSuccess).toMatchObject({ oldState: 'RUNNING', result: 42, kind: 'task' });
    const bFail = capture.atomEvents.find((e) => e.atomName === 'b' && e.state === 'FAILURE')!;
    expect(bFail.result).toBeInstanceOf(Failure);
    expect(capture.atomEvents.find((e) => e.state === 'RUNNING')).not.toHaveProperty('result');
  });

  it('register by state, unregister, and survive a throwing listener', async () => {
    const engine = new Engine(
      new LinearFlow('f').add(
        task('a', () => 1),
        task('b', () => 2),
      ),
    );
    const seen: string[] = [];
    engine.atomNotifier.register('SUCCESS', (e) => void seen.push((e as AtomEvent).atomName));
    const off = engine.atomNotifier.register('RUNNING', () => {
      throw new Error('listener bug');
    });
    off();
    engine.atomNotifier.register('RUNNING', () => {
      throw new Error('another bug');
    });

    await engine.run();

    expect(seen).toEqual(['a', 'b']);
    expect(engine.state).toBe('SUCCESS');
  });

  it("delivers progress updates from inside a task, between the engine's 0 and 1", async () => {
    const engine = new Engine(
      new LinearFlow('f').add(
        task('copy', (_a: object, ctx) => {
          ctx.updateProgress(0.5, { copied: 5 });
          ctx.updateProgress(1);
        }),
      ),
    );
    const progress: ProgressEvent[] = [];
    engine.atomNotifier.register('progress', (e) => void progress.push(e as ProgressEvent));

    await engine.run();

    expect(progress).toEqual([
      { atomName: 'copy', progress: 0 }, // engine: RUNNING
      { atomName: 'copy', progress: 0.5, details: { copied: 5 } },
      { atomName: 'copy', progress: 1 },
      { atomName: 'copy', progress: 1 }, // engine: SUCCESS
    ]);
  });

  it('LoggingListener logs at a level that follows the state', async () => {
    const log = memoryLogger();
    const engine = new Engine(
      new LinearFlow('f').add(
        task('a', () => 1),
        task('b', () => {
          throw new Error('x');
        }),
      ),
    );
    new LoggingListener(log).attach(engine);

    await expect(engine.run()).rejects.toThrow('x');

    const byState = (s: string) => log.lines.filter(([, , m]) => m?.['state'] === s).map(([lvl]) => lvl);
    expect(byState('RUNNING')).toEqual(['debug', 'debug', 'debug']);
    expect(byState('FAILURE')).toEqual(['warn']);
    expect(byState('REVERTED')).toEqual(['warn', 'warn', 'warn']);
    expect(log.lines.every(([, msg]) => msg === 'atom state changed' || msg === 'flow state changed')).toBe(
      true,
    );
    expect(log.lines.find(([, , m]) => m?.['state'] === 'FAILURE')?.[2]?.['failure']).toMatchObject({
      message: 'x',
    });
  });

  it('TimingListener measures each execute and revert', async () => {
    const engine = new Engine(
      new LinearFlow('f').add(
        task('slow', () => new Promise((r) => setTimeout(r, 30))),
        task('fail', () => {
          throw new Error('x');
        }),
      ),
    );
    const timing = new TimingListener().attach(engine);

    await expect(engine.run()).rejects.toThrow('x');

    expect(timing.durations['slow']).toBeGreaterThanOrEqual(25);
    expect(timing.timeline.map((t) => `${t.atom} ${t.phase} ${t.state}`)).toEqual([
      'slow execute SUCCESS',
      'fail execute FAILURE',
      'fail revert REVERTED',
      'slow revert REVERTED',
    ]);
  });

  it('a run timeout stops starting atoms, suspends the flow and rejects with EngineTimeout', async () => {
    const ran: string[] = [];
    const engine = new Engine(
      new LinearFlow('f').add(
        task('a', () => new Promise((r) => setTimeout(() => r(ran.push('a')), 40))),
        task('b', () => void ran.push('b')),
      ),
      { timeoutMs: 10 },
    );

    await expect(engine.run()).rejects.toBeInstanceOf(EngineTimeout);

    expect(ran).toEqual(['a']);
    expect(engine.state).toBe('SUSPENDED');
  });
});
