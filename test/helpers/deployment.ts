/**
 * A throw-away multi-process deployment on the real servers: its own MariaDB database (migrated), its
 * own RabbitMQ vhost (so the processes can use the default exchange and queue names), a temp dir for
 * HOME and the volume files, optionally a TCP proxy in front of the broker (to play "broker down"),
 * and the `src/bin/main.ts` processes started in it exactly as `npm start -- <service> [--host NAME]`.
 * `destroy()` stops every process and removes all of it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { BrokerProxy, requireAmqpUrl } from '../integration/rpc/amqp-helpers';
import { createTestMysqlDatabase, type TestDatabase } from './db';
import { startProcess, type Proc } from './processes';

const run = promisify(execFile);

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

export interface DeploymentOptions {
  /** Part of the vhost and temp dir names, to tell runs apart. */
  readonly label: string;
  /** Route every process's broker connection through a {@link BrokerProxy}. @default false */
  readonly proxy?: boolean;
  /** Environment every process gets (on top of the deployment's own). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A log line of a service process (LOG_FORMAT=json). */
export type LogLine = Record<string, unknown>;

/** The launcher's line once a service process is ready. */
export const serviceStarted = (l: LogLine): boolean =>
  l['message'] === 'service started' && l['component'] === 'launcher';

export class Deployment {
  readonly procs: Proc[] = [];

  private constructor(
    readonly db: TestDatabase,
    readonly vhost: string,
    /** The broker URL of the vhost, as the test itself reaches it (never through the proxy). */
    readonly amqpUrl: string,
    readonly dir: string,
    readonly proxy: BrokerProxy | undefined,
    private readonly baseEnv: Readonly<Record<string, string>>,
  ) {}

  /**
   * Needs TEST_MYSQL_URL and TEST_AMQP_URL and throws a clear error without them (call it in
   * `beforeAll`, so the suite fails instead of skipping). What was created before a failure is removed.
   */
  static async create(options: DeploymentOptions): Promise<Deployment> {
    const base = await requireAmqpUrl();
    const db = await createTestMysqlDatabase();
    const vhost = `t-${options.label}-${randomUUID().slice(0, 8)}`;
    let proxy: BrokerProxy | undefined;
    let dir: string | undefined;
    try {
      await rabbitmqctl('add_vhost', vhost);
      await rabbitmqctl(
        'set_permissions',
        '-p',
        vhost,
        decodeURIComponent(new URL(base).username) || 'guest',
        '.*',
        '.*',
        '.*',
      );
      const u = new URL(base);
      u.pathname = `/${encodeURIComponent(vhost)}`;
      const amqpUrl = u.toString();
      if (options.proxy === true) proxy = await BrokerProxy.start(amqpUrl);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `cinder-ts-${options.label}-`));
      return new Deployment(db, vhost, amqpUrl, dir, proxy, options.env ?? {});
    } catch (err) {
      await proxy?.stop();
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
      await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
      await db.drop();
      throw err;
    }
  }

  /** TRANSPORT_URL as the processes get it (the proxy's address when there is one). */
  get transportUrl(): string {
    return this.proxy === undefined ? this.amqpUrl : this.proxy.url(this.amqpUrl);
  }

  env(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env['PATH'],
      HOME: this.dir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      DATABASE_URL: this.db.url,
      TRANSPORT_URL: this.transportUrl,
      PERIODIC_FUZZY_DELAY: '0',
      ...this.baseEnv,
      ...extra,
    };
  }

  /** `npm start -- <args>` in the deployment (not waited for). */
  spawn(args: string[], extraEnv: Readonly<Record<string, string>> = {}): Proc {
    const proc = startProcess(args, this.env(extraEnv), this.dir);
    this.procs.push(proc);
    return proc;
  }

  /** Starts one service process and resolves once the launcher says it is running. */
  async start(
    service: string,
    host?: string,
    extraEnv: Readonly<Record<string, string>> = {},
    timeoutMs = 60_000,
  ): Promise<Proc> {
    const proc = this.spawn(host === undefined ? [service] : [service, '--host', host], extraEnv);
    await proc.waitFor(serviceStarted, timeoutMs);
    return proc;
  }

  /** Starts the api process and resolves with its HTTP port (PORT=0 picks a free one). */
  async startApi(
    extraEnv: Readonly<Record<string, string>> = {},
    timeoutMs = 60_000,
  ): Promise<{ proc: Proc; port: number }> {
    const proc = this.spawn(['api'], extraEnv);
    const port = (await proc.waitFor((l) => l['message'] === 'listening', timeoutMs))['port'] as number;
    await proc.waitFor(serviceStarted, timeoutMs);
    return { proc, port };
  }

  /**
   * Closes, from the broker's side, every connection of this deployment's vhost (what a broker restart
   * does to its clients), leaving everyone else's alone. Resolves with how many were closed.
   */
  async closeBrokerConnections(reason = 'closed by the multi-process test'): Promise<number> {
    let closed = 0;
    for (const row of (await rabbitmqctl('list_connections', 'pid', 'vhost')).split('\n')) {
      const [pid, vhost] = row.trim().split('\t');
      if (pid === undefined || pid === '' || vhost !== this.vhost) continue;
      await rabbitmqctl('close_connection', pid, reason).catch(() => undefined); // already gone
      closed++;
    }
    return closed;
  }

  /**
   * Writes each process's JSON log lines to `<dir>/<n>-<args>.log`, for looking into a failed run.
   * @returns the files written
   */
  writeLogs(dir: string): string[] {
    fs.mkdirSync(dir, { recursive: true });
    return this.procs.map((p, n) => {
      const file = path.join(dir, `${n}-${p.args.join('-')}.log`);
      fs.writeFileSync(file, p.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      return file;
    });
  }

  /** Stops the processes (SIGTERM, SIGKILL after `graceMs`), then removes the vhost, database and temp dir. */
  async destroy(graceMs = 15_000): Promise<void> {
    await Promise.all(
      this.procs.splice(0).map(async (p) => {
        const timer = setTimeout(() => void p.kill(), graceMs);
        await p.stop();
        clearTimeout(timer);
      }),
    );
    await this.proxy?.stop();
    await rabbitmqctl('delete_vhost', this.vhost).catch(() => undefined);
    await this.db.drop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
