/**
 * The Manager base (Nova manager.Manager): owns the logic of one area, delegates device work to a
 * driver, and gets lifecycle hooks from its Service. Its public methods (those of subclasses) are
 * the RPC endpoint; the base-class methods below are not callable over RPC.
 */
import type { RequestContext } from '../rpc/context';
import type { Logger } from '../rpc/logger';
import { nullLogger } from '../rpc/logger';
import { markRpcBoundary } from '../rpc/server';
import { PeriodicTasks, type RunPeriodicTasksOptions } from './periodic-task';
import type { ServiceRecord } from './service-record-store';

export interface ManagerOptions<D = unknown> {
  readonly host: string;
  /** e.g. 'volume', 'scheduler'. @default 'undefined' (as Nova) */
  readonly serviceName?: string;
  readonly driver?: D;
  readonly logger?: Logger;
  /** @default true */
  readonly runExternalPeriodicTasks?: boolean;
  /** Jitter source for periodic tasks. @default Math.random */
  readonly random?: () => number;
}

export class Manager<D = unknown> extends PeriodicTasks {
  readonly host: string;
  readonly serviceName: string;
  /** The driver this manager delegates device work to, when it has one. */
  driver: D | undefined;
  /** More RPC endpoints served next to this manager (e.g. a second API namespace). */
  readonly additionalEndpoints: object[] = [];
  /** RPC API version of this manager's methods; subclasses override. @default '1.0' */
  readonly rpcApiVersion: string = '1.0';
  protected readonly log: Logger;

  constructor(options: ManagerOptions<D>) {
    const logger = options.logger ?? nullLogger;
    super({
      logger,
      ...(options.runExternalPeriodicTasks !== undefined
        ? { runExternalPeriodicTasks: options.runExternalPeriodicTasks }
        : {}),
      ...(options.random !== undefined ? { random: options.random } : {}),
    });
    if (typeof options.host !== 'string' || options.host === '')
      throw new TypeError('a manager needs a host');
    this.host = options.host;
    this.serviceName = options.serviceName ?? 'undefined';
    this.driver = options.driver;
    this.log = logger.child({ component: `${this.serviceName}-manager`, host: this.host });
  }

  /** Run the periodic tasks that are due; returns the seconds to idle. */
  periodicTasks(ctx: RequestContext, options: RunPeriodicTasksOptions = {}): Promise<number> {
    return this.runPeriodicTasks(ctx, options);
  }

  /** Before the service record is read and anything listens: initialize the host (e.g. the driver). */
  async initHost(): Promise<void> {}

  /** On stop, after the RPC server stopped: release what initHost acquired. */
  async cleanupHost(): Promise<void> {}

  /** After the service record exists, before the RPC server starts (e.g. a first resource report). */
  async preStartHook(_serviceRef: ServiceRecord): Promise<void> {}

  /** After the RPC server started: the service can now receive messages. */
  async postStartHook(): Promise<void> {}

  /** On SIGHUP: re-read dynamic configuration, drop caches. */
  async reset(): Promise<void> {}
}

markRpcBoundary(Manager.prototype);
