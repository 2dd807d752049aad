/**
 * The system under test of `bench:api`, run as its own process (forked by bench/api.ts, so the load
 * generator does not share its event loop): the api, scheduler and volume services started by the same
 * Launcher and service definitions `npm start` uses, on the in-process transport, with one change: the
 * volume service runs the FakeDriver (the file driver would run out of disk) with a capacity nothing
 * exhausts.
 *
 * Environment (set by the parent): BENCH_DATABASE_URL (migrated already), BENCH_LOG_FILE (where the
 * json log lines go; /dev/null by default, so formatting still costs what it costs in production),
 * LOG_LEVEL (default info, as `npm start`), BENCH_COUNT_QUERIES=1 to count the SQL statements sent.
 *
 * IPC: sends `{ type: 'ready', port }` once listening; answers `{ type: 'queries' }` with
 * `{ type: 'queries', counts, cpuUs, … }` (SQL text → count, and the CPU this process used, since the last
 * `{ type: 'reset-queries' }`; its CPU and event loop time since it started, for windows the parent times);
 * stops cleanly on `{ type: 'stop' }`.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config';
import { Launcher } from '../../src/bin/launcher';
import { defaultRegistry } from '../../src/bin/registry';
import { schedulerService } from '../../src/bin/volume-services';
import type { RunningApi } from '../../src/bin/api-service';
import type { ServiceDefinition } from '../../src/bin/services';
import { createRootLogger } from '../../src/log';
import { FakeDriver } from '../../src/volume/drivers';
import { createVolumeService } from '../../src/volume/services';
import { countQueries, type LockTimes, type QueryCounts } from './query-counter';

export type ServerMessage =
  | { readonly type: 'ready'; readonly port: number }
  | {
      readonly type: 'queries';
      readonly counts: QueryCounts;
      readonly cpuUs: number;
      /** The event loop's utilization (0..1) over the same span. */
      readonly elu: number;
      readonly lock: LockTimes;
      /** Queries sent (a compound statement is one, whatever it holds). */
      readonly roundTrips: number;
      /**
       * Since the process started, not reset (the parent takes differences over the windows it times):
       * CPU used (µs), and the event loop's active and idle time (ms).
       */
      readonly cpuTotalUs: number;
      readonly eluActiveMs: number;
      readonly eluIdleMs: number;
    }
  | { readonly type: 'failed'; readonly message: string };
export type ParentMessage =
  { readonly type: 'stop' } | { readonly type: 'queries' } | { readonly type: 'reset-queries' };

/** A capacity no run can use up (GiB), so the CapacityFilter never refuses. */
const FAKE_CAPACITY_GB = 1_000_000_000;

/** The volume service as src/bin/volume-services.ts defines it, with the FakeDriver. */
const fakeVolumeService: ServiceDefinition = {
  name: 'volume',
  usesDatabase: true,
  usesTransport: true,
  async start(ctx) {
    const [dataSource, transport] = await Promise.all([
      ctx.resources.dataSource(),
      ctx.resources.transport(),
    ]);
    const service = createVolumeService({
      transport,
      dataSource,
      host: ctx.host,
      driver: new FakeDriver({ capacityGb: FAKE_CAPACITY_GB }),
      availabilityZone: ctx.config.storageAvailabilityZone,
      settings: {
        reportInterval: ctx.config.reportInterval,
        serviceDownTime: ctx.config.serviceDownTime,
        periodicIntervalMax: ctx.config.periodicIntervalMax,
        periodicFuzzyDelay: ctx.config.periodicFuzzyDelay,
      },
      logger: ctx.logger,
    });
    await service.start();
    return { name: 'volume', stop: () => service.stop() };
  },
};

function send(message: ServerMessage): void {
  process.send?.(message);
}

async function serve(): Promise<void> {
  const databaseUrl = process.env['BENCH_DATABASE_URL'];
  if (databaseUrl === undefined) throw new Error('BENCH_DATABASE_URL is not set');
  const counter = process.env['BENCH_COUNT_QUERIES'] === '1' ? countQueries() : undefined;
  const { config } = loadConfig({
    argv: [],
    searchPath: [],
    env: {
      DATABASE_URL: databaseUrl,
      TRANSPORT_URL: 'inproc://',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_FORMAT: 'json',
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
      DB_AUTO_MIGRATE: 'false',
      SERVICE_HOST: 'bench',
    },
  });
  const logFile = process.env['BENCH_LOG_FILE'] ?? '/dev/null';
  const logger = createRootLogger({
    level: config.logLevel,
    format: 'json',
    silent: false,
    stream: fs.createWriteStream(logFile, { flags: 'a' }),
    defaultMeta: { pid: process.pid },
  });
  const api = defaultRegistry().get('api');
  if (api === undefined) throw new Error('the registry has no api service');
  const launcher = await Launcher.start({
    config,
    logger,
    host: config.serviceHost,
    services: [schedulerService, fakeVolumeService, api],
  });
  const running = launcher.running.find((s) => s.name === 'api') as RunningApi;
  let cpu0 = process.cpuUsage();
  let elu0 = performance.eventLoopUtilization();
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'queries') {
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0).utilization;
      const total = process.cpuUsage();
      const eluTotal = performance.eventLoopUtilization();
      send({
        type: 'queries',
        counts: counter?.snapshot() ?? {},
        cpuUs: cpu.user + cpu.system,
        elu,
        lock: counter?.lockTimes() ?? { transactions: 0, heldMs: 0, waitMs: 0 },
        roundTrips: counter?.roundTrips() ?? 0,
        cpuTotalUs: total.user + total.system,
        eluActiveMs: eluTotal.active,
        eluIdleMs: eluTotal.idle,
      });
    } else if (m.type === 'reset-queries') {
      counter?.reset();
      cpu0 = process.cpuUsage();
      elu0 = performance.eventLoopUtilization();
    } else if (m.type === 'stop') {
      void launcher.stop().then((clean) => {
        process.exitCode = clean ? 0 : 1;
        process.disconnect?.();
      });
    }
  });
  send({ type: 'ready', port: running.address.port });
}

serve().catch((err: unknown) => {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  send({ type: 'failed', message });
  process.stderr.write(`[bench:api server] start failed: ${message}\n`);
  process.exitCode = 1;
  process.disconnect?.();
});
