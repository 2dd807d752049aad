/**
 * Looping calls (oslo.service loopingcall), on timers so jest fake timers drive them:
 * - {@link FixedIntervalLoopingCall} runs a function every `interval` seconds measured start to
 *   start, and warns when one run outlasts the interval (the next then starts at once);
 * - {@link DynamicLoopingCall} runs a function that returns how long to sleep, capped by
 *   `periodicIntervalMax` (the periodic-task runner).
 * A run never overlaps the previous one. `stop()` lets a running function finish; `wait()`
 * resolves when the loop is over (with the {@link LoopingCallDone} value, or `true`) and rejects
 * when the function threw and `stopOnException` is on. Times are in seconds.
 */
import { nullLogger, type Logger } from '../rpc/logger';

/** Thrown by the looped function to end the loop; `wait()` resolves with `returnValue`. */
export class LoopingCallDone extends Error {
  constructor(readonly returnValue: unknown = true) {
    super('looping call done');
    this.name = 'LoopingCallDone';
  }
}

export interface LoopingCallOptions {
  /** For logs. @default the function's name */
  readonly name?: string;
  readonly logger?: Logger;
}

export interface LoopingCallStartOptions {
  /** Seconds to wait before the first run. @default none */
  readonly initialDelay?: number;
  /** End the loop (and reject `wait()`) when the function throws; otherwise log and go on. @default true */
  readonly stopOnException?: boolean;
}

type LoopedFn = () => unknown;

/** Seconds a dynamic call without periodicIntervalMax sleeps after a failed run it survived. */
export const DYNAMIC_RETRY_AFTER_FAILURE = 60;

abstract class LoopingCallBase {
  protected readonly log: Logger;
  readonly name: string;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private done: Promise<unknown> | undefined;

  constructor(
    protected readonly fn: LoopedFn,
    options: LoopingCallOptions = {},
  ) {
    this.name = options.name ?? (fn.name || 'anonymous');
    this.log = (options.logger ?? nullLogger).child({ component: 'looping-call', call: this.name });
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Ask the loop to end; a run in progress finishes first. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Resolves when the loop has ended (see the module doc). */
  wait(): Promise<unknown> {
    return this.done ?? Promise.resolve(true);
  }

  /**
   * The loop. `idleFor` gets the function's result (undefined after a logged failure), the seconds
   * the run took and whether it failed, and returns the seconds to sleep.
   */
  protected begin(
    initialDelay: number | undefined,
    stopOnException: boolean,
    idleFor: (result: unknown, elapsedSeconds: number, failed: boolean) => number,
  ): Promise<unknown> {
    if (this.running) throw new Error(`looping call '${this.name}' is already running`);
    if (initialDelay !== undefined && (!Number.isFinite(initialDelay) || initialDelay < 0)) {
      throw new RangeError(
        `initialDelay must be a non-negative number of seconds, got ${String(initialDelay)}`,
      );
    }
    this.running = true;
    const done = (async (): Promise<unknown> => {
      if (initialDelay !== undefined && initialDelay > 0) await this.sleep(initialDelay);
      while (this.running) {
        const start = Date.now();
        let result: unknown;
        let failed = false;
        try {
          result = await this.fn();
        } catch (err) {
          if (err instanceof LoopingCallDone) {
            this.running = false;
            return err.returnValue;
          }
          this.log.error('error in looping call', { err });
          if (stopOnException) {
            this.running = false;
            throw err;
          }
          failed = true;
        }
        if (!this.running) break;
        const sleepFor = idleFor(result, (Date.now() - start) / 1000, failed);
        await this.sleep(sleepFor);
      }
      return true;
    })();
    // wait() hands the rejection to whoever asks; nobody asking must not be an unhandled rejection.
    done.catch(() => undefined);
    this.done = done;
    return done;
  }

  private sleep(seconds: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      const wakeUp = (): void => {
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      };
      // No sleep still yields to the event loop, so a loop that keeps overrunning cannot starve it.
      if (seconds <= 0) setImmediate(wakeUp);
      else this.timer = setTimeout(wakeUp, seconds * 1000);
    });
  }
}

export class FixedIntervalLoopingCall extends LoopingCallBase {
  /** Run every `interval` seconds (start to start). Returns the same promise as `wait()`. */
  start(interval: number, options: LoopingCallStartOptions = {}): Promise<unknown> {
    if (!Number.isFinite(interval) || interval <= 0) {
      throw new RangeError(`interval must be a positive number of seconds, got ${String(interval)}`);
    }
    return this.begin(options.initialDelay, options.stopOnException ?? true, (_result, elapsed) => {
      const overrun = elapsed - interval;
      if (overrun > 0) {
        this.log.warn('looping call run outlasted its interval', {
          intervalSeconds: interval,
          overrunSeconds: Math.round(overrun * 100) / 100,
        });
        return 0;
      }
      return -overrun;
    });
  }
}

export interface DynamicLoopingCallStartOptions extends LoopingCallStartOptions {
  /** Longest sleep between runs, whatever the function asks for. @default no cap */
  readonly periodicIntervalMax?: number;
}

export class DynamicLoopingCall extends LoopingCallBase {
  /**
   * Run the function, sleep for the seconds it returns (capped at `periodicIntervalMax`), repeat.
   * A function that returns no number sleeps `periodicIntervalMax`; without one that is an error.
   */
  start(options: DynamicLoopingCallStartOptions = {}): Promise<unknown> {
    const max = options.periodicIntervalMax;
    if (max !== undefined && (!Number.isFinite(max) || max < 0)) {
      throw new RangeError(
        `periodicIntervalMax must be a non-negative number of seconds, got ${String(max)}`,
      );
    }
    return this.begin(
      options.initialDelay,
      options.stopOnException ?? true,
      (suggested, _elapsed, failed) => {
        let idle: number;
        if (typeof suggested === 'number' && Number.isFinite(suggested)) {
          idle = max !== undefined ? Math.min(suggested, max) : suggested;
        } else if (max !== undefined) {
          idle = max;
        } else if (failed) {
          idle = DYNAMIC_RETRY_AFTER_FAILURE;
        } else {
          throw new TypeError(
            'a dynamic looping call needs its function to return an interval, or a periodicIntervalMax',
          );
        }
        idle = Math.max(0, idle);
        this.log.debug('dynamic looping call sleeping', { idleSeconds: Math.round(idle * 100) / 100 });
        return idle;
      },
    );
  }
}
