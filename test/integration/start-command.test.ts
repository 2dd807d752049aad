/**
 * The start command as a user runs it: a real process (the TypeScript sources, transpiled on load),
 * the embedded defaults (SQLite file + in-process transport), real HTTP and real signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultRegistry } from '../../src/bin/registry';
import { SERVICE_NAMES } from '../../src/bin/services';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'src/bin/main.ts');
const REGISTER = path.join(ROOT, 'test/helpers/register-ts.js');
const STARTUP_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MS = 45_000;

jest.setTimeout(90_000);

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  /** Every JSON log line so far. */
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-start-'));
});

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The environment of a fresh machine: nothing set but what the test names, JSON logs, a free port. */
function envFor(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: dir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_FORMAT: 'json',
    DATABASE_URL: `sqlite:${path.join(dir, 'data/cinder-ts.sqlite')}`,
    ...extra,
  };
}

/** Every process a test started; afterEach kills any still running, so a failed test cannot hang jest. */
const children: ChildProcess[] = [];

function spawnMain(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['-r', REGISTER, MAIN, ...args], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

function collectExit(child: ChildProcess): Started['exited'] {
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

/** Runs a command to completion (killed after RUN_TIMEOUT_MS, so a command that does not end fails the test). */
async function run(args: string[], env: NodeJS.ProcessEnv = envFor()) {
  const child = spawnMain(args, env);
  const killer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  const { code, stderr } = await collectExit(child);
  clearTimeout(killer);
  return { code, stdout, stderr };
}

/** Starts the service and waits for the API's "listening" line. */
async function start(args: string[] = [], env: NodeJS.ProcessEnv = envFor()): Promise<Started> {
  const child = spawnMain(args, env);
  const exited = collectExit(child);
  const lines: Record<string, unknown>[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "listening" line in time')), STARTUP_TIMEOUT_MS);
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        lines.push(parsed);
        if (parsed['message'] === 'listening') {
          clearTimeout(timer);
          resolve(parsed['port'] as number);
        }
      }
    });
    void exited.then(({ code, stderr }) =>
      reject(new Error(`exited with ${code} before listening: ${stderr}`)),
    );
  });
  return { child, port, lines, exited };
}

function get(
  port: number,
  urlPath: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

describe('npm start (all services, embedded defaults)', () => {
  it('migrates the SQLite database, answers GET / and /healthcheck, and stops with exit 0 on SIGTERM', async () => {
    const svc = await start();

    const versions = await get(svc.port, '/');
    const health = await get(svc.port, '/healthcheck');
    svc.child.kill('SIGTERM');
    const { code, signal } = await svc.exited;

    expect(versions.status).toBe(300);
    expect(JSON.parse(versions.body)).toMatchObject({
      versions: [{ id: 'v3.0', status: 'CURRENT', version: '3.70', min_version: '3.0' }],
    });
    expect(JSON.parse(versions.body).versions[0].links[1].href).toBe(`http://127.0.0.1:${svc.port}/v3/`);
    expect(versions.headers['x-openstack-request-id']).toMatch(/^req-/);
    expect(health.status).toBe(200);
    expect(health.body).toBe('OK');
    expect(code).toBe(0);
    expect(signal).toBeNull();
    expect(fs.existsSync(path.join(dir, 'data/cinder-ts.sqlite'))).toBe(true);
    const applied = svc.lines.find((l) => l['message'] === 'database migrations applied');
    expect((applied?.['applied'] as string[]).length).toBeGreaterThan(0);
  });

  it('closes an idle keep-alive connection and exits 0 promptly on SIGINT', async () => {
    const svc = await start();
    const agent = new http.Agent({ keepAlive: true });
    const first = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: svc.port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        })
        .on('error', reject);
    });
    const started = Date.now();

    svc.child.kill('SIGINT');
    const { code } = await svc.exited;

    expect(first).toBe(300);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000); // well under the 10 s drain timeout
    expect(svc.lines.map((l) => l['message'])).toEqual(
      expect.arrayContaining(['stopping', 'all services stopped']),
    );
    agent.destroy();
  });

  it('refuses new connections once stopped', async () => {
    const svc = await start();

    svc.child.kill('SIGTERM');
    await svc.exited;
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(svc.port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.on('error', () => resolve(true));
    });

    expect(refused).toBe(true);
  });
});

function getJson(
  port: number,
  urlPath: string,
  token = 'admin:admin',
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port, path: urlPath, agent: false, headers: { 'X-Auth-Token': token } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode!, body: JSON.parse(body) as Record<string, unknown> }),
          );
        },
      )
      .on('error', reject);
  });
}

describe('npm start: volumes and compute in one process', () => {
  it('shows scheduler, volume, conductor and compute up in os-services, and builds an instance to ACTIVE with the CLI', async () => {
    const svc = await start();
    const url = `http://127.0.0.1:${svc.port}`;

    const services = await getJson(svc.port, '/v3/os-services');
    const created = await run(
      [
        'server:create',
        '--name',
        'vm1',
        '--vcpus',
        '2',
        '--memory-mb',
        '1024',
        '--disk-gb',
        '5',
        '--wait',
        '--timeout',
        '30',
        '--url',
        url,
      ],
      envFor(),
    );
    const listed = await run(['server:list', '--url', url]);
    const hypervisors = await run(['hypervisor:list', '--json', '--url', url]);
    const tooBig = await run([
      'server:create',
      '--vcpus',
      '64',
      '--memory-mb',
      '512',
      '--disk-gb',
      '1',
      '--wait',
      '--timeout',
      '30',
      '--url',
      url,
    ]);
    svc.child.kill('SIGTERM');
    const { code } = await svc.exited;

    // The api answers this request itself; like Nova (which hides nova-osapi_compute) and Cinder (no
    // cinder-api record), os-services lists the services behind it.
    expect(services.status).toBe(200);
    const rows = services.body['services'] as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r['binary'], r['state']]).sort()).toEqual([
      ['cinder-scheduler', 'up'],
      ['cinder-volume', 'up'],
      ['nova-compute', 'up'],
      ['nova-conductor', 'up'],
    ]);
    expect(
      svc.lines
        .filter((l) => l['message'] === 'service started' && l['component'] === 'launcher')
        .map((l) => l['service']),
    ).toEqual(['conductor', 'scheduler', 'volume', 'compute', 'api']);

    expect(created.code).toBe(0);
    const server = (JSON.parse(created.stdout) as { server: Record<string, unknown> }).server;
    expect(server).toMatchObject({ name: 'vm1', status: 'ACTIVE', flavor: { vcpus: 2, ram: 1024, disk: 5 } });
    expect(server['OS-EXT-SRV-ATTR:host']).toEqual(expect.any(String));
    expect(listed.stdout).toContain(`${String(server['id'])}  vm1   ACTIVE`);
    const hv = (JSON.parse(hypervisors.stdout) as { hypervisors: Array<Record<string, unknown>> })
      .hypervisors;
    expect(hv).toHaveLength(1);
    expect(hv[0]).toMatchObject({
      state: 'up',
      vcpus_used: 2,
      memory_mb_used: 1024,
      local_gb_used: 5,
      running_vms: 1,
    });

    // 64 vCPUs fit nowhere: the build ends in ERROR and the command says so.
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toMatch(/cinder-ts: server \S+ ended ERROR/);
    expect(code).toBe(0);
  });
});

describe('npm start -- <service>', () => {
  it('starts just the api with the --host name', async () => {
    const svc = await start(['api', '--host', 'node-a']);

    const health = await get(svc.port, '/healthcheck');
    svc.child.kill('SIGTERM');
    const { code } = await svc.exited;

    expect(health.body).toBe('OK');
    expect(svc.lines.find((l) => l['message'] === 'service started')).toMatchObject({
      service: 'api',
      host: 'node-a',
    });
    expect(code).toBe(0);
  });

  it('runs a compute that waits for its conductor, and stops it at once on SIGTERM', async () => {
    const child = spawnMain(['compute', '--host', 'c9'], envFor());
    const exited = collectExit(child);
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const waiting = await new Promise<boolean>((resolve) => {
      const timer = setInterval(() => {
        if (stdout.includes('Timed out waiting for nova-conductor')) {
          clearInterval(timer);
          resolve(true);
        }
      }, 100);
      void exited.then(() => (clearInterval(timer), resolve(false)));
    });
    const signalled = Date.now();
    child.kill('SIGTERM');
    const { code } = await exited;

    // Alone in its process (in-process transport) nothing answers on `conductor`: it waits, never
    // opening the database, until told to stop.
    expect(waiting).toBe(true);
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(stdout).toContain('"message":"stopped during start-up"');
    expect(stdout).not.toContain('"message":"database connected"');
  });

  it('says clearly when a service is not in this build yet', async () => {
    const available = defaultRegistry()
      .available()
      .map((d) => d.name);
    const missing = SERVICE_NAMES.find((name) => !available.includes(name));
    if (missing === undefined) {
      // Every service has landed: then there is nothing to refuse, and all of them are registered.
      expect(available).toHaveLength(SERVICE_NAMES.length);
      return;
    }

    const { code, stderr } = await run([missing]);

    expect(code).toBe(2);
    expect(stderr).toContain(
      `cinder-ts: the ${missing} service is not available in this build yet (available: ${available.join(', ')})`,
    );
  });

  it('stops with one clear line on an invalid setting', async () => {
    const { code, stderr } = await run([], envFor({ PORT: 'eighty' }));

    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      'cinder-ts: Invalid setting PORT (environment): expected an integer from 0 to 65535, got "eighty"',
    );
  });

  it('stops with a clear line when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { code, stderr } = await run([], envFor({ PORT: String(port) }));

      expect(code).toBe(1);
      expect(stderr).toMatch(/cinder-ts: start-up failed: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('reads the config file named by --config-file', async () => {
    const conf = path.join(dir, 'custom.conf');
    const env = envFor();
    delete env['PORT'];
    fs.writeFileSync(conf, '[api]\nport = 0\n[DEFAULT]\nhost = from-file\n');

    const svc = await start(['--config-file', conf], env);
    svc.child.kill('SIGTERM');
    const { code } = await svc.exited;

    expect(svc.lines.find((l) => l['message'] === 'service started')).toMatchObject({ host: 'from-file' });
    expect(code).toBe(0);
  });
});

describe('npm run db:migrate / db:revert', () => {
  it('applies the migrations once, then reports the schema current, and reverts the last one', async () => {
    const first = await run(['db:migrate']);
    const second = await run(['db:migrate']);
    const revert = await run(['db:revert']);

    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied \S+$/m);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('database schema is up to date');
    expect(revert.code).toBe(0);
    expect(revert.stdout).toMatch(/^reverted \S+$/m);
  });

  it('fails with one line for a database URL it cannot use', async () => {
    const { code, stderr } = await run(
      ['db:migrate'],
      envFor({ DATABASE_URL: 'mysql://root@127.0.0.1:1/x' }),
    );

    expect(code).toBe(1);
    expect(stderr).toMatch(/^cinder-ts: db:migrate failed: .*ECONNREFUSED/m);
  });
});
