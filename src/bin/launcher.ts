import type { Config } from '../config';
import { runMigrations } from '../db/data-source';
import { componentLogger, type Logger } from '../log';
import { DBNotAllowed } from '../objects/errors';
import { ProcessResources } from './resources';
import type { RunningService, ServiceDefinition, SharedResources } from './services';

export interface LaunchOptions {
  readonly config: Config;
  /** The root logger; each service gets a child with its name as `component`. */
  readonly logger: Logger;
  /** This node's name (`--host`, else config.serviceHost). */
  readonly host: string;
  /** What to start, in start order (see START_ORDER). */
  readonly services: readonly ServiceDefinition[];
  /** Aborted when the process is asked to stop before start-up finished (ServiceContext.stopping). */
  readonly signal?: AbortSignal;
}

/**
 * Runs one or more services in this process: applies migrations first when DB_AUTO_MIGRATE is on and
 * a service uses the database, connects the RPC transport when a service uses it, starts the services
 * in order and stops them in reverse, then closes the transport and the database.
 */
export class Launcher {
  private stopping: Promise<boolean> | undefined;

  private constructor(
    private readonly log: Logger,
    private readonly resources: ProcessResources,
    readonly running: readonly RunningService[],
  ) {}

  /**
   * Starts every service of `options.services`. If one fails, the ones already started are stopped
   * and the error is rethrown, so nothing is left half-running.
   */
  static async start(options: LaunchOptions): Promise<Launcher> {
    const { config, logger, host } = options;
    const log = componentLogger(logger, 'launcher');
    const resources = new ProcessResources(config, log);
    const running: RunningService[] = [];
    try {
      if (config.dbAutoMigrate && options.services.some((s) => s.usesDatabase)) {
        const applied = await runMigrations(await resources.dataSource());
        log.info('database migrations applied', { applied });
      }
      // Connect up front, so an unreachable broker stops start-up instead of failing the first request.
      if (options.services.some((s) => s.usesTransport)) await resources.transport();
      const stopping = options.signal ?? new AbortController().signal;
      for (const definition of options.services) {
        stopping.throwIfAborted();
        const service = await definition.start({
          stopping,
          config,
          host,
          resources: definition.usesDatabase ? resources : withoutDatabase(resources, definition.name),
          logger: componentLogger(logger, definition.name),
        });
        running.push(service);
        log.info('service started', { service: definition.name, host });
      }
    } catch (err) {
      await stopAll(running, log);
      await resources
        .close()
        .catch((closeErr: unknown) => log.error('shared resources failed to close', { err: closeErr }));
      throw err;
    }
    return new Launcher(log, resources, running);
  }

  /**
   * Stops every service (last started first), then closes shared resources. Idempotent.
   * @returns true when everything stopped cleanly.
   */
  stop(): Promise<boolean> {
    this.stopping ??= (async () => {
      let clean = await stopAll(this.running, this.log);
      try {
        await this.resources.close();
      } catch (err) {
        this.log.error('shared resources failed to close', { err });
        clean = false;
      }
      this.log.info('all services stopped', { clean });
      return clean;
    })();
    return this.stopping;
  }
}

/**
 * The shared resources as a service without database access sees them (compute, Nova's
 * DBNotAllowed): asking for the database fails, even when another service of the same process
 * (the all-in-one default) has it open.
 */
export function withoutDatabase(resources: SharedResources, service: string): SharedResources {
  return {
    dataSource: () => Promise.reject(new DBNotAllowed(`cinder-ts ${service}`, 'SharedResources.dataSource')),
    transport: () => resources.transport(),
  };
}

/** @returns true when every service stopped without throwing. */
async function stopAll(running: readonly RunningService[], log: Logger): Promise<boolean> {
  let clean = true;
  for (const service of [...running].reverse()) {
    try {
      await service.stop();
      log.info('service stopped', { service: service.name });
    } catch (err) {
      // Keep stopping the others; one failed stop must not leave the rest running.
      log.error('service failed to stop cleanly', { service: service.name, err });
      clean = false;
    }
  }
  return clean;
}
