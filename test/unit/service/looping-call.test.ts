import {
  DynamicLoopingCall,
  FixedIntervalLoopingCall,
  LoopingCallDone,
} from '../../../src/service/looping-call';
import { RecordingLogger } from './recording-logger';

const s = (n: number): number => n * 1000;
const fakeSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('looping calls', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs a fixed-interval call after the initial delay, then every interval', async () => {
    const runs: number[] = [];
    const t0 = Date.now();
    const call = new FixedIntervalLoopingCall(() => void runs.push((Date.now() - t0) / 1000));

    void call.start(10, { initialDelay: 5 });
    await jest.advanceTimersByTimeAsync(s(4.9));
    const before = runs.length;
    await jest.advanceTimersByTimeAsync(s(30.1));
    call.stop();

    expect(before).toBe(0);
    expect(runs).toEqual([5, 15, 25, 35]);
    await expect(call.wait()).resolves.toBe(true);
  });

  it('measures the interval start to start and warns when a run outlasts it', async () => {
    const log = new RecordingLogger();
    const t0 = Date.now();
    const starts: number[] = [];
    let n = 0;
    const call = new FixedIntervalLoopingCall(
      async () => {
        starts.push((Date.now() - t0) / 1000);
        n += 1;
        await fakeSleep(n === 2 ? s(13) : s(4));
      },
      { logger: log, name: 'report' },
    );

    void call.start(10);
    await jest.advanceTimersByTimeAsync(s(40));
    call.stop();

    // run 1 at 0 (4 s) → run 2 at 10 (13 s, overruns by 3) → run 3 at once at 23 → run 4 at 33
    // (fake timers run a zero-delay wake-up 1 ms later, hence the rounding)
    expect(starts.map((x) => Math.round(x * 100) / 100)).toEqual([0, 10, 23, 33]);
    const warnings = log.matching(/outlasted/, 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.meta).toMatchObject({ call: 'report', intervalSeconds: 10, overrunSeconds: 3 });
  });

  it('sleeps what the dynamic function returns, capped at periodicIntervalMax', async () => {
    const t0 = Date.now();
    const runs: number[] = [];
    const answers = [5, 100, 2];
    const call = new DynamicLoopingCall(() => {
      runs.push((Date.now() - t0) / 1000);
      return answers.shift() ?? 1000;
    });

    void call.start({ periodicIntervalMax: 30, initialDelay: 1 });
    await jest.advanceTimersByTimeAsync(s(70));
    call.stop();

    expect(runs).toEqual([1, 6, 36, 38, 68]);
  });

  it('falls back to periodicIntervalMax when the function returns nothing, and fails without one', async () => {
    const runs: number[] = [];
    const t0 = Date.now();
    const capped = new DynamicLoopingCall(() => void runs.push((Date.now() - t0) / 1000));
    const uncapped = new DynamicLoopingCall(() => undefined);

    void capped.start({ periodicIntervalMax: 20 });
    const failed = uncapped.start();
    await jest.advanceTimersByTimeAsync(s(45));
    capped.stop();

    expect(runs).toEqual([0, 20, 40]);
    await expect(failed).rejects.toThrow('periodicIntervalMax');
  });

  it('ends with the LoopingCallDone value', async () => {
    let n = 0;
    const call = new FixedIntervalLoopingCall(() => {
      n += 1;
      if (n === 3) throw new LoopingCallDone('finished');
    });

    const done = call.start(1);
    await jest.advanceTimersByTimeAsync(s(10));

    await expect(done).resolves.toBe('finished');
    expect(n).toBe(3);
    expect(call.isRunning).toBe(false);
  });

  it('stops on an exception by default, or logs and goes on', async () => {
    const log = new RecordingLogger();
    let a = 0;
    let b = 0;
    const stopping = new FixedIntervalLoopingCall(() => {
      a += 1;
      throw new Error('boom');
    });
    const going = new FixedIntervalLoopingCall(
      () => {
        b += 1;
        throw new Error('boom');
      },
      { logger: log },
    );

    const stopped = stopping.start(1);
    void going.start(1, { stopOnException: false });
    await jest.advanceTimersByTimeAsync(s(3.5));
    going.stop();

    await expect(stopped).rejects.toThrow('boom');
    expect(a).toBe(1);
    expect(b).toBe(4);
    expect(log.matching(/error in looping call/, 'error')).toHaveLength(4);
  });

  it('stops during a sleep without running again and refuses a second start', async () => {
    let n = 0;
    const call = new FixedIntervalLoopingCall(() => void (n += 1));

    void call.start(10);
    expect(() => call.start(10)).toThrow('already running');
    await jest.advanceTimersByTimeAsync(s(1));
    call.stop();
    await jest.advanceTimersByTimeAsync(s(60));

    expect(n).toBe(1);
    await expect(call.wait()).resolves.toBe(true);
    expect(() => new FixedIntervalLoopingCall(() => 0).start(0)).toThrow(RangeError);
  });
});
