/** @jest-environment ./test/integration/rpc/unhandled-rejection-environment.js */
/**
 * Conductor and compute as their own processes on MariaDB + RabbitMQ, started exactly as
 * `npm start -- conductor` / `npm start -- compute --host cN`, all at once (a compute that comes up
 * before its conductor waits for it). Compute c1 is given a database URL nothing listens on: it still
 * works, because a compute process never opens the database — everything goes through the conductor.
 * Instances are built with the CLI (`server:create --wait`) against the api process, and their
 * lifecycle notifications are read from the broker like any consumer would. Compute c2 is sized by
 * FAKE_VCPUS / FAKE_DISK_GB, and a later compute c3 fails every spawn (FAKE_FAIL_SPAWNS): builds it is
 * picked for land on another host.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { AmqpTransport } from '../../../src/rpc/amqp-transport';
import type { RequestContext } from '../../../src/rpc/context';
import { NOTIFICATIONS_TOPIC, type Notification } from '../../../src/rpc/notifier';
import { RpcServer } from '../../../src/rpc/server';
import { Deployment, serviceStarted } from '../../helpers/deployment';
import { httpJson, type Proc } from '../../helpers/processes';
import { waitFor } from '../../contracts/transport.contract';
import { unhandledRejections } from '../rpc/amqp-helpers';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../../..');

/** A client command run to completion, its whole stdout kept (the CLI prints multi-line JSON). */
function runCli(
  deployment: Deployment,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['-r', path.join(ROOT, 'test/helpers/register-ts.js'), path.join(ROOT, 'src/bin/main.ts'), ...args],
    {
      cwd: deployment.dir,
      env: deployment.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

class Sink {
  readonly received: Notification[] = [];
  info(_ctx: RequestContext, args: Record<string, unknown>): void {
    this.received.push(args as unknown as Notification);
  }
  error(_ctx: RequestContext, args: Record<string, unknown>): void {
    this.received.push(args as unknown as Notification);
  }
}

describe('conductor and compute as their own processes', () => {
  let deployment: Deployment;
  let port: number;
  let listener: AmqpTransport | undefined;
  let sinkServer: RpcServer | undefined;
  const sink = new Sink();
  const procs: Record<string, Proc> = {};

  beforeAll(async () => {
    // The first heartbeat comes min(5 s, REPORT_INTERVAL) = 1 s after a start, a service being up from
    // its record's creation until then; SERVICE_DOWN_TIME leaves room for a loaded machine.
    deployment = await Deployment.create({
      label: 'compute',
      env: { REPORT_INTERVAL: '1', SERVICE_DOWN_TIME: '7', PERIODIC_FUZZY_DELAY: '0' },
    });
    listener = new AmqpTransport({
      url: deployment.amqpUrl,
      exchange: 'cinder-ts',
      defaultTimeoutMs: 10_000,
    });
    await listener.connect();
    sinkServer = new RpcServer(listener, { topic: NOTIFICATIONS_TOPIC, server: 'test-consumer' }, [sink], {
      fanout: true,
    });
    await sinkServer.start();
    // Every process at once, computes first: they must wait for the conductor, not fail.
    const c1 = deployment.spawn(['compute', '--host', 'c1'], {
      DATABASE_URL: 'mysql://nobody@127.0.0.1:1/nowhere',
    });
    // c2's fake hypervisor is sized by the environment (RAM left at the default, so placement is unchanged).
    const c2 = deployment.spawn(['compute', '--host', 'c2'], { FAKE_VCPUS: '6', FAKE_DISK_GB: '200' });
    const conductor = deployment.spawn(['conductor', '--host', 'ctl']);
    const scheduler = deployment.spawn(['scheduler', '--host', 'ctl']);
    const api = deployment.spawn(['api']);
    Object.assign(procs, { c1, c2, conductor, scheduler, api });
    port = (await api.waitFor((l) => l['message'] === 'listening', 90_000))['port'] as number;
    await Promise.all(Object.values(procs).map((p) => p.waitFor(serviceStarted, 150_000)));
  });

  afterAll(async () => {
    await sinkServer?.stop();
    await listener?.close();
    if (process.env['E2E_LOG_DIR'] !== undefined) deployment?.writeLogs(process.env['E2E_LOG_DIR']);
    await deployment?.destroy();
    expect(unhandledRejections()).toEqual([]);
  });

  it('lists the conductor and both computes up in os-services', async () => {
    const res = await httpJson(port, 'GET', '/v3/os-services', 'admin:admin');

    const rows = (res.body!['services'] as Array<Record<string, unknown>>).map(
      (s) => `${String(s['binary'])} ${String(s['host'])} ${String(s['state'])}`,
    );
    expect(rows.sort()).toEqual([
      'cinder-scheduler ctl up',
      'nova-compute c1 up',
      'nova-compute c2 up',
      'nova-conductor ctl up',
    ]);
  });

  it('shows each compute node with the totals its process was configured with (FAKE_* on c2, defaults on c1)', async () => {
    const res = await httpJson(port, 'GET', '/v3/os-hypervisors/detail', 'admin:admin');

    const nodes = (res.body!['hypervisors'] as Array<Record<string, unknown>>).map((h) => [
      h['hypervisor_hostname'],
      h['vcpus'],
      h['memory_mb'],
      h['local_gb'],
    ]);
    expect(nodes.sort()).toEqual([
      ['c1', 8, 16384, 500],
      ['c2', 6, 16384, 200],
    ]);
  });

  it('builds instances with the CLI onto both computes, the one without a database included, and publishes their notifications', async () => {
    const url = `http://127.0.0.1:${port}`;
    const first = await runCli(deployment, [
      'server:create',
      '--name',
      'a',
      '--vcpus',
      '2',
      '--memory-mb',
      '2048',
      '--disk-gb',
      '10',
      '--wait',
      '--timeout',
      '60',
      '--url',
      url,
    ]);
    const second = await runCli(deployment, [
      'server:create',
      '--name',
      'b',
      '--vcpus',
      '1',
      '--memory-mb',
      '1024',
      '--disk-gb',
      '5',
      '--wait',
      '--timeout',
      '60',
      '--url',
      url,
    ]);
    const hv = await runCli(deployment, ['hypervisor:list', '--json', '--url', url]);

    expect([first.code, second.code]).toEqual([0, 0]);
    const a = (JSON.parse(first.stdout) as { server: Record<string, unknown> }).server;
    const b = (JSON.parse(second.stdout) as { server: Record<string, unknown> }).server;
    // Equal free RAM: the first goes to c1 (name order); then c2 has the most free RAM.
    expect([a['status'], a['OS-EXT-SRV-ATTR:host']]).toEqual(['ACTIVE', 'c1']);
    expect([b['status'], b['OS-EXT-SRV-ATTR:host']]).toEqual(['ACTIVE', 'c2']);
    const nodes = (JSON.parse(hv.stdout) as { hypervisors: Array<Record<string, unknown>> }).hypervisors.map(
      (h) => [
        h['hypervisor_hostname'],
        h['vcpus_used'],
        h['memory_mb_used'],
        h['local_gb_used'],
        h['running_vms'],
      ],
    );
    expect(nodes.sort()).toEqual([
      ['c1', 2, 2048, 10, 1],
      ['c2', 1, 1024, 5, 1],
    ]);

    await waitFor(() => sink.received.length >= 4, 15_000, 'four instance notifications');
    expect(
      sink.received.map((n) => `${n.publisher_id} ${n.event_type} ${String(n.payload['instance_id'])}`),
    ).toEqual([
      `compute.c1 compute.instance.create.start ${String(a['id'])}`,
      `compute.c1 compute.instance.create.end ${String(a['id'])}`,
      `compute.c2 compute.instance.create.start ${String(b['id'])}`,
      `compute.c2 compute.instance.create.end ${String(b['id'])}`,
    ]);
    // c1 really ran without a database: nothing in its log says it connected to one.
    expect(procs['c1']!.lines.some((l) => l['message'] === 'database connected')).toBe(false);
    expect(procs['conductor']!.lines.some((l) => l['message'] === 'database connected')).toBe(true);
  });

  it('reschedules a build from a compute whose spawns fail (FAKE_FAIL_SPAWNS) to another, leaving nothing held on it', async () => {
    // c3 has the most free RAM, so the scheduler picks it first; every spawn there fails.
    const c3 = await deployment.start(
      'compute',
      'c3',
      { FAKE_FAIL_SPAWNS: 'true', FAKE_MEMORY_MB: '65536' },
      120_000,
    );
    procs['c3'] = c3;
    const url = `http://127.0.0.1:${port}`;

    const built = await runCli(deployment, [
      'server:create',
      '--vcpus',
      '1',
      '--memory-mb',
      '512',
      '--disk-gb',
      '1',
      '--wait',
      '--timeout',
      '60',
      '--url',
      url,
    ]);
    const hv = await runCli(deployment, ['hypervisor:list', '--json', '--url', url]);

    expect(built.code).toBe(0);
    const server = (JSON.parse(built.stdout) as { server: Record<string, unknown> }).server;
    expect(server['status']).toBe('ACTIVE');
    expect(['c1', 'c2']).toContain(server['OS-EXT-SRV-ATTR:host']);
    const c3Node = (
      JSON.parse(hv.stdout) as { hypervisors: Array<Record<string, unknown>> }
    ).hypervisors.find((h) => h['hypervisor_hostname'] === 'c3');
    expect(c3Node).toMatchObject({
      memory_mb: 65536,
      vcpus_used: 0,
      memory_mb_used: 0,
      local_gb_used: 0,
      running_vms: 0,
    });
    expect(
      c3.lines.some(
        (l) =>
          l['message'] === 'instance build failed and was reverted' && l['instanceUuid'] === server['id'],
      ),
    ).toBe(true);
  });

  it('shows a killed compute down after service_down_time and builds on the one left', async () => {
    const killedAt = Date.now();
    await procs['c2']!.kill();
    // Polled one request at a time; the api judged c2 before `answeredAt`.
    let state = '';
    let downAnsweredAt = 0;
    let c2LastHeartbeat = 0;
    while (state !== 'c1 up,c2 down,c3 up') {
      if (Date.now() - killedAt > 30_000) throw new Error(`c2 not down in os-services in time: ${state}`);
      const r = await httpJson(port, 'GET', '/v3/os-services?binary=nova-compute', 'admin:admin');
      const answeredAt = Date.now();
      const rows = (r.body?.['services'] as Array<Record<string, unknown>> | undefined) ?? [];
      state = rows
        .map((s) => `${String(s['host'])} ${String(s['state'])}`)
        .sort()
        .join(',');
      const c2 = rows.find((s) => s['host'] === 'c2');
      downAnsweredAt = answeredAt;
      // Cinder's format: UTC without a zone designator.
      c2LastHeartbeat = c2 === undefined ? 0 : Date.parse(`${String(c2['updated_at'])}Z`);
      if (state !== 'c1 up,c2 down,c3 up') await new Promise((res) => setTimeout(res, 100));
    }

    // Down only once SERVICE_DOWN_TIME (7 s) had passed since its last heartbeat, not before; and
    // that last heartbeat came from c2 while it still ran.
    expect(downAnsweredAt - c2LastHeartbeat).toBeGreaterThan(7000);
    expect(killedAt - c2LastHeartbeat).toBeLessThan(7000);

    const built = await runCli(deployment, [
      'server:create',
      '--vcpus',
      '1',
      '--memory-mb',
      '512',
      '--disk-gb',
      '1',
      '--wait',
      '--timeout',
      '60',
      '--url',
      `http://127.0.0.1:${port}`,
    ]);

    expect(state).toBe('c1 up,c2 down,c3 up');
    expect(built.code).toBe(0);
    expect(
      (JSON.parse(built.stdout) as { server: Record<string, unknown> }).server['OS-EXT-SRV-ATTR:host'],
    ).toBe('c1');
  });
});
