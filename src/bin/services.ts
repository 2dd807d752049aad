import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Transport } from '../rpc';

/** Every service the product has, as Cinder/Nova binaries. `npm start -- <name>` starts one of them. */
export const SERVICE_NAMES = ['api', 'scheduler', 'volume', 'conductor', 'compute'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

/** Resources shared by every service of the process, created on first use and closed by the launcher. */
export interface SharedResources {
  /**
   * The process's one DataSource, initialized (and, with DB_AUTO_MIGRATE, migrated before any service
   * started). Services that have no database access (compute) never call it.
   */
  dataSource(): Promise<DataSource>;
  /**
   * The process's one RPC transport, connected: in-process for `inproc://` (so every service of the
   * process reaches the others through the same instance) or RabbitMQ for `amqp://` (TRANSPORT_URL).
   */
  transport(): Promise<Transport>;
}

/** What a service gets when it starts. */
export interface ServiceContext {
  readonly config: Config;
  /** Already a child logger with `component: <service name>`. */
  readonly logger: Logger;
  /** This node's name: `--host NAME`, else SERVICE_HOST / [DEFAULT] host, else the machine's host name. */
  readonly host: string;
  readonly resources: SharedResources;
  /**
   * Aborted when the process is asked to stop while services are still starting: a start that may
   * wait long (compute waiting for its conductor) gives up, and the launcher stops the others.
   */
  readonly stopping?: AbortSignal;
}

/** A started service. `stop()` must let in-flight work finish and release what the service opened. */
export interface RunningService {
  readonly name: ServiceName;
  stop(): Promise<void>;
}

/** How to start one service. Register one per service in {@link defaultRegistry}. */
export interface ServiceDefinition {
  readonly name: ServiceName;
  /** Whether it reads or writes the database itself (compute does not: it goes through the conductor). */
  readonly usesDatabase: boolean;
  /** Whether it sends or serves RPC; the launcher then connects the transport before starting it. */
  readonly usesTransport: boolean;
  start(ctx: ServiceContext): Promise<RunningService>;
}

/**
 * Start order when several run in one process: the back ends first and the API last, so the API only
 * accepts requests once something can serve them; they stop in the reverse order (the API drains first).
 */
export const START_ORDER: readonly ServiceName[] = ['conductor', 'scheduler', 'volume', 'compute', 'api'];

/** The services this build can start. */
export class ServiceRegistry {
  private readonly definitions = new Map<ServiceName, ServiceDefinition>();

  /** @throws Error when a service of that name is already registered. */
  register(definition: ServiceDefinition): this {
    if (this.definitions.has(definition.name)) {
      throw new Error(`service '${definition.name}' is already registered`);
    }
    this.definitions.set(definition.name, definition);
    return this;
  }

  get(name: ServiceName): ServiceDefinition | undefined {
    return this.definitions.get(name);
  }

  /** The registered services, in {@link START_ORDER}. */
  available(): ServiceDefinition[] {
    return START_ORDER.flatMap((name) => this.definitions.get(name) ?? []);
  }
}
