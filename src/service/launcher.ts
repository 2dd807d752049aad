/**
 * Runs several services in one process (the embedded default) — or one, when each service has its
 * own process — and waits (oslo.service ServiceLauncher). Services start in the order added and
 * stop in reverse; a start failure stops those already started and rethrows.
 * Signals: SIGHUP → `reset()` of every service (its manager re-reads dynamic config);
 * SIGTERM / SIGINT → graceful `stop()`. The launcher never exits the process: `src/bin/` does,
 * after `wait()` resolves.
 */
import { nullLogger, type Logger } from '../rpc/logger';
import type { LaunchableService } from './service';

/** Where signals come from (`process`, or an EventEmitter in tests). */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface ServiceLauncherOptions {
  readonly logger?: Logger;
}

export class ServiceLauncher {
  private readonly services: LaunchableService[] = [];
  private readonly started: LaunchableService[] = [];
  private stopping: Promise<void> | undefined;
  private readonly stoppedSignal: Promise<void>;
  private signalStopped!: () => void;
  private readonly log: Logger;

  constructor(options: ServiceLauncherOptions = {}) {
    this.log = (options.logger ?? nullLogger).child({ component: 'launcher' });
    this.stoppedSignal = new Promise((resolve) => (this.signalStopped = resolve));
  }

  /** Add a service to run; services added after start() are started at once by launch(). */
  add(service: LaunchableService): this {
    if (this.stopping !== undefined) throw new Error('the launcher is stopping; cannot add services');
    this.services.push(service);
    return this;
  }

  /** The services, in start order. */
  get serviceList(): readonly LaunchableService[] {
    return [...this.services];
  }

  /** Start every added service in order. If one fails, stop the started ones (reverse) and rethrow. */
  async start(): Promise<void> {
    for (const service of this.services) {
      if (this.started.includes(service)) continue;
      if (this.stopping !== undefined) throw new Error('the launcher was stopped while starting');
      try {
        await service.start();
      } catch (err) {
        this.log.error('service failed to start; stopping the others', { service: service.name, err });
        await this.stop();
        throw err;
      }
      this.started.push(service);
      this.log.info('service launched', { service: service.name });
    }
  }

  /** Add and start one more service. */
  async launch(service: LaunchableService): Promise<void> {
    this.add(service);
    await this.start();
  }

  /** Stop the started services in reverse order; idempotent. Errors are logged, not thrown. */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.stopping = (async () => {
      for (const service of [...this.started].reverse()) {
        try {
          await service.stop();
          this.log.info('service stopped', { service: service.name });
        } catch (err) {
          this.log.error('error stopping service', { service: service.name, err });
        }
      }
      this.started.length = 0;
      this.signalStopped();
    })();
    return this.stopping;
  }

  /** Reset every started service (SIGHUP). Errors are logged, not thrown. */
  async reset(): Promise<void> {
    for (const service of this.started) {
      try {
        await service.reset();
      } catch (err) {
        this.log.error('error resetting service', { service: service.name, err });
      }
    }
  }

  /** Resolves when the launcher has stopped. */
  wait(): Promise<void> {
    return this.stoppedSignal;
  }

  /**
   * SIGHUP → reset(), SIGTERM/SIGINT → stop(). Returns a function that removes the handlers
   * (they are also removed once the launcher has stopped).
   */
  handleSignals(source: SignalSource = process): () => void {
    const onHup = (): void => {
      this.log.info('caught SIGHUP, resetting services');
      void this.reset();
    };
    const onTerm = (signal: NodeJS.Signals) => (): void => {
      this.log.info(`caught ${signal}, stopping services`);
      void this.stop();
    };
    const term = onTerm('SIGTERM');
    const int = onTerm('SIGINT');
    source.on('SIGHUP', onHup);
    source.on('SIGTERM', term);
    source.on('SIGINT', int);
    const remove = (): void => {
      source.off('SIGHUP', onHup);
      source.off('SIGTERM', term);
      source.off('SIGINT', int);
    };
    void this.stoppedSignal.then(remove);
    return remove;
  }
}
