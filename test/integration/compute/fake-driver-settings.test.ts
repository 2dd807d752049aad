/**
 * The fake virt driver sized from the configuration, as a user runs it: `npm start` (all services,
 * SQLite, in-process transport) as a real process with FAKE_* in its environment or `[compute]` in
 * its config file; the totals show in os-hypervisors. FAKE_FAIL_SPAWNS makes every build fail: the
 * instance ends ERROR and the node's usage is back to zero. A bad value stops start-up with one line.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { httpJson, startProcess, type Proc } from '../../helpers/processes';

jest.setTimeout(90_000);

const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const ADMIN = `admin:${PROJECT}`;

let dir: string;
const procs: Proc[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-fake-driver-'));
});

afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

function envFor(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: dir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_FORMAT: 'json',
    PERIODIC_FUZZY_DELAY: '0',
    DATABASE_URL: `sqlite:${path.join(dir, 'data/cinder-ts.sqlite')}`,
    ...extra,
  };
}

/** Starts all services and returns the api's port once every service has started. */
async function startAll(args: string[], env: NodeJS.ProcessEnv): Promise<{ proc: Proc; port: number }> {
  const proc = startProcess(args, env, dir);
  procs.push(proc);
  const port = (await proc.waitFor((l) => l['message'] === 'listening', 60_000))['port'] as number;
  // The api starts last (test/integration/start-command.test.ts checks the order).
  await proc.waitFor((l) => l['message'] === 'service started' && l['service'] === 'api', 60_000);
  return { proc, port };
}

async function hypervisors(port: number): Promise<Array<Record<string, unknown>>> {
  const res = await httpJson(port, 'GET', `/v3/${PROJECT}/os-hypervisors/detail`, ADMIN);
  expect(res.status).toBe(200);
  return res.body!['hypervisors'] as Array<Record<string, unknown>>;
}

const totals = (h: Record<string, unknown>) => [
  h['hypervisor_hostname'],
  h['vcpus'],
  h['memory_mb'],
  h['local_gb'],
];
const usage = (h: Record<string, unknown>) => [
  h['vcpus_used'],
  h['memory_mb_used'],
  h['local_gb_used'],
  h['running_vms'],
];

async function settle(port: number, id: string): Promise<Record<string, unknown>> {
  const end = Date.now() + 30_000;
  for (;;) {
    const res = await httpJson(port, 'GET', `/v3/${PROJECT}/servers/${id}`, ADMIN);
    const server = res.body?.['server'] as Record<string, unknown> | undefined;
    if (server !== undefined && (server['status'] === 'ACTIVE' || server['status'] === 'ERROR'))
      return server;
    if (Date.now() > end) throw new Error(`server ${id} did not settle: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('fake virt driver size from the configuration (npm start)', () => {
  it('reports FAKE_VCPUS / FAKE_MEMORY_MB / FAKE_DISK_GB as the node totals in os-hypervisors', async () => {
    const { proc, port } = await startAll(
      ['--host', 'cx'],
      envFor({ FAKE_VCPUS: '3', FAKE_MEMORY_MB: '3072', FAKE_DISK_GB: '40' }),
    );

    const hv = await hypervisors(port);
    const code = await proc.stop();

    expect(hv.map(totals)).toEqual([['cx', 3, 3072, 40]]);
    expect(hv.map(usage)).toEqual([[0, 0, 0, 0]]);
    expect(code).toBe(0);
  });

  it('reads the [compute] section of the config file, the environment winning over it', async () => {
    const conf = path.join(dir, 'cinder-ts.conf');
    fs.writeFileSync(conf, '[compute]\nfake_vcpus = 2\nfake_memory_mb = 1024\nfake_disk_gb = 10\n');

    const { proc, port } = await startAll(
      ['--host', 'cy', '--config-file', conf],
      envFor({ FAKE_DISK_GB: '20' }),
    );
    const hv = await hypervisors(port);
    await proc.stop();

    expect(hv.map(totals)).toEqual([['cy', 2, 1024, 20]]);
  });

  it('with FAKE_FAIL_SPAWNS every build ends ERROR and the node holds nothing afterwards', async () => {
    const { proc, port } = await startAll(
      ['--host', 'cz'],
      envFor({ FAKE_FAIL_SPAWNS: 'true', FAKE_VCPUS: '4' }),
    );

    const created = await httpJson(port, 'POST', `/v3/${PROJECT}/servers`, ADMIN, {
      server: { name: 'doomed', vcpus: 2, ram: 512, disk: 1 },
    });
    const server = await settle(port, (created.body!['server'] as Record<string, unknown>)['id'] as string);
    const hv = await hypervisors(port);
    await proc.stop();

    expect(created.status).toBe(202);
    expect(server).toMatchObject({
      status: 'ERROR',
      'OS-EXT-SRV-ATTR:host': null,
      'OS-EXT-STS:task_state': null,
    });
    expect(hv.map(usage)).toEqual([[0, 0, 0, 0]]);
    expect(proc.lines.some((l) => l['message'] === 'instance build failed and was reverted')).toBe(true);
  });

  // The other values' parsing is covered without a process in test/unit/compute/fake-driver.test.ts.
  it.each([
    ['FAKE_VCPUS', '0', 'expected an integer >= 1, got "0"'],
    ['FAKE_FAIL_SPAWNS', 'maybe', 'expected true or false (also 1/0, yes/no, on/off), got "maybe"'],
  ])('stops start-up with one line on a bad %s', async (variable, value, expected) => {
    const proc = startProcess([], envFor({ [variable]: value }), dir);
    procs.push(proc);

    const { code, stderr } = await proc.exited;

    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`cinder-ts: Invalid setting ${variable} (environment): ${expected}`);
  });
});
