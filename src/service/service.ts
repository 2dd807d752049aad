/**
 * A Service is host + binary + topic + manager (Nova service.Service), started in the order of
 * DESIGN.md §5:
 *   manager.initHost → get-or-create the service record (a sibling winning the race is fine) →
 *   manager.preStartHook → RPC server on `topic`, `topic.host` and the fanout of `topic` →
 *   manager.postStartHook → join the service group (heartbeats) → periodic tasks
 * and stopped in reverse: periodic tasks, heartbeats, RPC server (in-flight messages finish),
 * then manager.cleanupHost. A start that fails half-way undoes what it started and rethrows.
 */
import * as os from 'node:os';
import { RequestContext } from '../rpc/context';
import { nullLogger, type Logger } from '../rpc/logger';
import { RpcServer } from '../rpc/server';
import type { RpcSerializer } from '../rpc/serializer';
import type { Transport } from '../rpc/transport';
import { DynamicLoopingCall } from './looping-call';
import { Manager, type ManagerOptions } from './manager';
import {
  ServiceGroup,
  DEFAULT_REPORT_INTERVAL,
  DEFAULT_SERVICE_DOWN_TIME,
  type ServiceGroupMember,
} from './service-group';
import type { ServiceRecord, ServiceRecordStore } from './service-record-store';

/** The service-related settings (seconds), mirroring the OpenStack options of the same names. */
export interface ServiceSettings {
  /** This node's name. @default os.hostname() */
  readonly host: string;
  /** @default 10 */
  readonly reportInterval: number;
  /** @default 60 */
  readonly serviceDownTime: number;
  /** Run periodic tasks at all. @default true */
  readonly periodicEnable: boolean;
  /** Random delay up to this many seconds before the first periodic run; 0 for none. @default 60 */
  readonly periodicFuzzyDelay: number;
  /** Longest idle between two periodic runner passes. @default 60 */
  readonly periodicIntervalMax: number;
  /** @default true */
  readonly runExternalPeriodicTasks: boolean;
}

export const DEFAULT_SERVICE_SETTINGS: Readonly<Omit<ServiceSettings, 'host'>> = Object.freeze({
  reportInterval: DEFAULT_REPORT_INTERVAL,
  serviceDownTime: DEFAULT_SERVICE_DOWN_TIME,
  periodicEnable: true,
  periodicFuzzyDelay: 60,
  periodicIntervalMax: 60,
  runExternalPeriodicTasks: true,
});

/** Builds the manager for a service (managers that need more deps capture them in the closure). */
export type ManagerFactory = (options: ManagerOptions) => Manager;

const managerFactories = new Map<string, ManagerFactory>();

/** Choose the manager `Service.create` builds for `topic` when none is given. */
export function registerManagerFactory(topic: string, factory: ManagerFactory): void {
  managerFactories.set(topic, factory);
}

export function managerFactoryFor(topic: string): ManagerFactory | undefined {
  return managerFactories.get(topic);
}

/** Binary names by topic, for `Service.create({ topic })` without a binary. */
export const DEFAULT_BINARIES: Readonly<Record<string, string>> = Object.freeze({
  api: 'cinder-api',
  scheduler: 'cinder-scheduler',
  volume: 'cinder-volume',
  backup: 'cinder-backup',
  conductor: 'nova-conductor',
  compute: 'nova-compute',
});

/** Nova: the topic is the binary name after its project prefix (`cinder-volume` → `volume`). */
export function topicFromBinary(binary: string): string {
  const i = binary.lastIndexOf('-');
  return i >= 0 ? binary.slice(i + 1) : binary;
}

export interface ServiceCreateOptions {
  /** @default settings.host, then os.hostname() */
  readonly host?: string;
  /** @default DEFAULT_BINARIES[topic] or `cinder-<topic>` */
  readonly binary?: string;
  /** @default derived from the binary */
  readonly topic?: string;
  /** An instance, or a factory; @default the factory registered for the topic */
  readonly manager?: Manager | ManagerFactory;
  readonly transport: Transport;
  readonly store: ServiceRecordStore;
  readonly settings?: Partial<ServiceSettings>;
  readonly logger?: Logger;
  /** Used by the RPC server (persistent objects). */
  readonly serializer?: RpcSerializer;
  /** Share one group between services, or let the service build its own from the settings. */
  readonly serviceGroup?: ServiceGroup;
  /** [0,1) source for the fuzzy delay and jitter. @default Math.random */
  readonly random?: () => number;
}

export type ServiceState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** What a launcher needs from anything it runs. */
export interface LaunchableService {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  reset(): Promise<void>;
}

export class ServiceStartError extends Error {
  readonly code = 'SERVICE_START_FAILED';
  constructor(
    readonly binary: string,
    readonly host: string,
    readonly step: string,
    options: ErrorOptions,
  ) {
    super(
      `${binary} on ${host} failed to start at ${step}: ${(options.cause as Error)?.message ?? String(options.cause)}`,
      options,
    );
    this.name = 'ServiceStartError';
  }
}

export class Service implements ServiceGroupMember, LaunchableService {
  readonly host: string;
  readonly binary: string;
  readonly topic: string;
  readonly manager: Manager;
  readonly settings: ServiceSettings;
  readonly serviceGroup: ServiceGroup;
  serviceRef: ServiceRecord | undefined;
  modelDisconnected = false;
  private stateValue: ServiceState = 'new';
  private rpcServer: RpcServer | undefined;
  private periodicLoop: DynamicLoopingCall | undefined;
  private joined = false;
  private stopRequested = false;
  private managerInitialized = false;
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private readonly stoppedSignal: Promise<void>;
  private signalStopped!: () => void;
  private readonly log: Logger;
  private readonly transport: Transport;
  private readonly store: ServiceRecordStore;
  private readonly serializer: RpcSerializer | undefined;
  private readonly random: () => number;

  private constructor(init: {
    host: string;
    binary: string;
    topic: string;
    manager: Manager;
    settings: ServiceSettings;
    serviceGroup: ServiceGroup;
    transport: Transport;
    store: ServiceRecordStore;
    serializer: RpcSerializer | undefined;
    logger: Logger;
    random: () => number;
  }) {
    this.host = init.host;
    this.binary = init.binary;
    this.topic = init.topic;
    this.manager = init.manager;
    this.settings = init.settings;
    this.serviceGroup = init.serviceGroup;
    this.transport = init.transport;
    this.store = init.store;
    this.serializer = init.serializer;
    this.random = init.random;
    this.log = init.logger.child({ component: 'service', binary: this.binary, host: this.host });
    this.stoppedSignal = new Promise((resolve) => (this.signalStopped = resolve));
  }

  /** Fill the defaults (DESIGN.md §5) and build the manager. Bad options are a clear TypeError. */
  static create(options: ServiceCreateOptions): Service {
    const logger = options.logger ?? nullLogger;
    const host = options.host ?? options.settings?.host ?? os.hostname();
    if (options.binary === undefined && options.topic === undefined) {
      throw new TypeError('Service.create needs a binary or a topic');
    }
    const topic = options.topic ?? topicFromBinary(options.binary!);
    const binary = options.binary ?? DEFAULT_BINARIES[topic] ?? `cinder-${topic}`;
    for (const [key, v] of Object.entries({ host, binary, topic })) {
      if (typeof v !== 'string' || v === '') throw new TypeError(`service ${key} must be a non-empty string`);
    }
    if (topic.includes('.')) throw new TypeError(`service topic '${topic}' must not contain dots`);
    const settings: ServiceSettings = {
      ...DEFAULT_SERVICE_SETTINGS,
      ...stripUndefined(options.settings ?? {}),
      host,
    };
    for (const key of [
      'reportInterval',
      'serviceDownTime',
      'periodicFuzzyDelay',
      'periodicIntervalMax',
    ] as const) {
      if (!Number.isFinite(settings[key]) || settings[key] < 0) {
        throw new TypeError(`${key} must be a non-negative number of seconds, got ${String(settings[key])}`);
      }
    }
    const random = options.random ?? Math.random;
    let manager: Manager;
    if (options.manager instanceof Manager) {
      manager = options.manager;
    } else {
      const factory = options.manager ?? managerFactoryFor(topic);
      if (factory === undefined)
        throw new TypeError(`no manager given and none registered for topic '${topic}'`);
      manager = factory({
        host,
        serviceName: topic,
        logger,
        runExternalPeriodicTasks: settings.runExternalPeriodicTasks,
        random,
      });
    }
    if (manager.host !== host) {
      throw new TypeError(
        `the manager was built for host '${manager.host}' but the service runs on '${host}'`,
      );
    }
    const serviceGroup =
      options.serviceGroup ??
      new ServiceGroup(options.store, {
        reportInterval: settings.reportInterval,
        serviceDownTime: settings.serviceDownTime,
        logger,
      });
    return new Service({
      host,
      binary,
      topic,
      manager,
      settings,
      serviceGroup,
      transport: options.transport,
      store: options.store,
      serializer: options.serializer,
      logger,
      random,
    });
  }

  get name(): string {
    return `${this.binary}@${this.host}`;
  }

  get state(): ServiceState {
    return this.stateValue;
  }

  start(): Promise<void> {
    if (this.stateValue !== 'new')
      return Promise.reject(new Error(`${this.name} cannot start: it is ${this.stateValue}`));
    this.stateValue = 'starting';
    this.starting = this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.log.info('starting service', { topic: this.topic });
    let step = 'initHost';
    try {
      await this.manager.initHost();
      this.managerInitialized = true;
      this.modelDisconnected = false;

      step = 'service record';
      const { record, created } = await this.store.getOrCreate({
        host: this.host,
        binary: this.binary,
        topic: this.topic,
      });
      this.serviceRef = record;
      this.log.debug(created ? 'created service record' : 'found service record', { serviceId: record.id });

      step = 'preStartHook';
      await this.manager.preStartHook(record);

      step = 'RPC server';
      this.log.debug('creating RPC server', { topic: this.topic });
      const server = new RpcServer(
        this.transport,
        { topic: this.topic, server: this.host },
        [this.manager, ...this.manager.additionalEndpoints],
        {
          fanout: true,
          logger: this.log,
          ...(this.serializer !== undefined ? { serializer: this.serializer } : {}),
        },
      );
      this.rpcServer = server;
      await server.start();

      step = 'postStartHook';
      await this.manager.postStartHook();

      step = 'service group';
      await this.serviceGroup.join(this);
      this.joined = true;

      step = 'periodic tasks';
      if (this.settings.periodicEnable) {
        const fuzzy = this.settings.periodicFuzzyDelay;
        const initialDelay = fuzzy > 0 ? Math.floor(this.random() * (Math.floor(fuzzy) + 1)) : undefined;
        const loop = new DynamicLoopingCall(() => this.periodicTasks(), {
          name: `periodic:${this.binary}`,
          logger: this.log,
        });
        this.periodicLoop = loop;
        void loop.start({
          ...(initialDelay !== undefined ? { initialDelay } : {}),
          periodicIntervalMax: this.settings.periodicIntervalMax,
          stopOnException: false,
        });
      }
    } catch (err) {
      this.log.error('service failed to start', { step, err });
      await this.teardown();
      this.stateValue = 'failed';
      this.signalStopped();
      throw new ServiceStartError(this.binary, this.host, step, { cause: err });
    }
    if (this.stopRequested) {
      // stop() was called while starting: it waits for us, then tears everything down.
      this.log.info('service started, but a stop was requested meanwhile');
    }
    this.stateValue = 'running';
    this.log.info('service started', { topic: this.topic, serviceId: this.serviceRef?.id });
  }

  /**
   * Graceful stop; safe to call more than once or concurrently, and while starting (it waits for the
   * start to finish, then stops). Errors of each step are logged, never thrown.
   */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    if (this.stateValue === 'starting' && this.starting !== undefined) {
      this.stopRequested = true;
      const started = this.starting;
      this.stopping = started.then(
        () => {
          this.stopping = undefined;
          return this.stop();
        },
        () => undefined, // a failed start already undid itself
      );
      return this.stopping;
    }
    if (this.stateValue === 'new' || this.stateValue === 'failed' || this.stateValue === 'stopped') {
      this.stateValue = this.stateValue === 'failed' ? 'failed' : 'stopped';
      this.signalStopped();
      return Promise.resolve();
    }
    this.stateValue = 'stopping';
    this.stopping = (async () => {
      this.log.info('stopping service');
      await this.teardown();
      this.stateValue = 'stopped';
      this.signalStopped();
      this.log.info('service stopped');
    })();
    return this.stopping;
  }

  /** Resolves once the service has stopped (or failed to start). */
  wait(): Promise<void> {
    return this.stoppedSignal;
  }

  /** SIGHUP: let the manager re-read its dynamic configuration. */
  async reset(): Promise<void> {
    this.log.info('resetting service');
    await this.manager.reset();
  }

  /** One pass of the periodic-task runner with an admin context; returns the seconds to idle. */
  periodicTasks(raiseOnError = false): Promise<number> {
    return this.manager.periodicTasks(RequestContext.admin(), { raiseOnError });
  }

  /** Reverse of start, for whatever was started. */
  private async teardown(): Promise<void> {
    const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        this.log.error(`error while stopping: ${what}`, { err });
      }
    };
    const loop = this.periodicLoop;
    this.periodicLoop = undefined;
    if (loop !== undefined) {
      loop.stop();
      await attempt('periodic tasks', async () => void (await loop.wait()));
    }
    if (this.joined) {
      this.joined = false;
      await attempt('service group', () => this.serviceGroup.leave(this));
    }
    const server = this.rpcServer;
    this.rpcServer = undefined;
    if (server !== undefined) await attempt('RPC server', () => server.stop());
    if (this.managerInitialized) {
      this.managerInitialized = false;
      await attempt('cleanupHost', () => this.manager.cleanupHost());
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
