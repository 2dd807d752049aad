/**
 * The volume services as separate processes on MariaDB + RabbitMQ, started with `src/bin/main.ts`
 * exactly as `npm start -- <service> [--host NAME]` does: api, scheduler and two volume services
 * (`--host v1`, `--host v2`, each with its own VOLUME_DIR). Volumes land on both backends and become
 * available; deleting them removes the files and gives the quota back. The run gets its own RabbitMQ
 * vhost (the processes use the default queue names) and its own database.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';
import { requireAmqpUrl } from '../rpc/amqp-helpers';
import { httpJson, pollVolume, startProcess, type Proc } from './processes';

jest.setTimeout(120_000);
const run = promisify(execFile);
const PROJECT = 'abcdef0123456789abcdef0123456789';

describe('volume services as separate processes (MariaDB + RabbitMQ)', () => {
  const vhost = `t-vol-${randomUUID().slice(0, 8)}`;
  let db: TestDatabase;
  let dir: string;
  let amqpUrl: string;
  const procs: Proc[] = [];

  beforeAll(async () => {
    const base = await requireAmqpUrl();
    db = await createTestMysqlDatabase();
    await run('rabbitmqctl', ['-q', 'add_vhost', vhost]);
    await run('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, new URL(base).username || 'guest', '.*', '.*', '.*']);
    const u = new URL(base);
    u.pathname = `/${vhost}`;
    amqpUrl = u.toString();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-procs-'));
  });

  afterAll(async () => {
    for (const p of procs) await p.stop();
    await db?.drop();
    await run('rabbitmqctl', ['-q', 'delete_vhost', vhost]).catch(() => undefined);
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env['PATH'],
      HOME: dir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      TRANSPORT_URL: amqpUrl,
      PERIODIC_FUZZY_DELAY: '0',
      ...extra,
    };
  }

  it('creates volumes that land on both backends and become available, then deletes them with exact quota', async () => {
    const started = (l: Record<string, unknown>): boolean => l['message'] === 'service started' && l['component'] === 'launcher';
    const scheduler = startProcess(['scheduler', '--host', 'sched1'], env(), dir);
    procs.push(scheduler);
    await scheduler.waitFor(started);
    for (const host of ['v1', 'v2']) {
      const p = startProcess(['volume', '--host', host], env({ VOLUME_DIR: path.join(dir, host) }), dir);
      procs.push(p);
      await p.waitFor(started);
    }
    const api = startProcess(['api'], env(), dir);
    procs.push(api);
    const port = (await api.waitFor((l) => l['message'] === 'listening'))['port'] as number;

    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await httpJson(port, 'POST', `/v3/${PROJECT}/volumes`, `alice:${PROJECT}`, { volume: { size: 1 } });
      expect(res.status).toBe(202);
      ids.push((res.body!['volume'] as { id: string }).id);
    }
    const vols = await Promise.all(ids.map((id) => pollVolume(port, PROJECT, id, (_s, v) => v?.['status'] !== 'creating')));

    expect(vols.map((v) => v?.['status'])).toEqual(Array(6).fill('available'));
    expect(new Set(vols.map((v) => v?.['os-vol-host-attr:host']))).toEqual(new Set(['v1@file#file', 'v2@file#file']));
    expect(fs.readdirSync(path.join(dir, 'v1')).length + fs.readdirSync(path.join(dir, 'v2')).length).toBe(6);

    for (const id of ids) expect((await httpJson(port, 'DELETE', `/v3/${PROJECT}/volumes/${id}`, `alice:${PROJECT}`)).status).toBe(202);
    for (const id of ids) await pollVolume(port, PROJECT, id, (s) => s === 404);
    // The row goes first, then the release is committed (Cinder's order): wait for it briefly.
    let usage = await httpJson(port, 'GET', `/v3/${PROJECT}/os-quota-sets/${PROJECT}?usage=true`, `alice:${PROJECT}`);
    for (let i = 0; i < 100 && ((usage.body!['quota_set'] as Record<string, { in_use: number }>)['volumes']!.in_use !== 0); i++) {
      await new Promise((r) => setTimeout(r, 20));
      usage = await httpJson(port, 'GET', `/v3/${PROJECT}/os-quota-sets/${PROJECT}?usage=true`, `alice:${PROJECT}`);
    }

    expect(fs.readdirSync(path.join(dir, 'v1')).length + fs.readdirSync(path.join(dir, 'v2')).length).toBe(0);
    expect((usage.body!['quota_set'] as Record<string, unknown>)['volumes']).toMatchObject({ in_use: 0, reserved: 0 });
    for (const p of procs.splice(0).reverse()) expect(await p.stop()).toBe(0);
  });
});
