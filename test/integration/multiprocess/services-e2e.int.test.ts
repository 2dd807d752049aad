/**
 * End to end on MariaDB + RabbitMQ with every service as its own process, started exactly as
 * `npm start -- <service> [--host NAME]` (src/bin/main.ts): api, scheduler, two volume services
 * (`--host v1`, `--host v2`), conductor and compute (`--host c1`), in their own vhost and database.
 *
 * 1. Volumes land on both backends and become available; an instance created with POST /servers (the
 *    api casts the build to the conductor, which asks the scheduler for a destination and hands the
 *    build to compute c1) becomes ACTIVE on c1 with its usage in os-hypervisors.
 * 2. A broker blink in the middle of a burst of creates: every process loses the broker for a while
 *    (through a TCP proxy that drops and refuses connections, or by closing the vhost's connections
 *    from the broker side). Afterwards every volume the API accepted ends `available` or `error` (none
 *    stays `creating`), each refused request got an OpenStack fault body, no duplicate volume file is
 *    left, the quota is exact (in_use = the volumes present that use quota — a create refused after its
 *    quota commit leaves an `error` row whose quota went back —, nothing reserved, no reservation rows,
 *    the usage audit finds no drift) and deleting everything gives all of it back. An instance built after the blink still becomes ACTIVE.
 * 3. A killed service process (a volume service, then the compute) shows `down` in os-services after
 *    service_down_time, the others `up`; new volumes then go to the backend that is left.
 *
 * Timing knobs (the scenario is meant to be re-run with other values):
 *   E2E_BURST            creates in the burst (default 50)
 *   E2E_BLINK_AFTER_MS   when the blink starts, from the first create of the burst (default 700)
 *   E2E_BLINK_FOR_MS     how long the broker stays unreachable (default 3000)
 *   E2E_WAVE             creates fired at once in each wave of the burst (default 10)
 *   E2E_BURST_SPREAD_MS  the waves start spread over this long, so the burst surrounds the blink
 *                        (default BLINK_AFTER + BLINK_FOR + 1000)
 *   E2E_BLINK_MODE       `proxy` (default: drop and refuse connections for BLINK_FOR) or `close`
 *                        (`rabbitmqctl close_connection` on every connection of the vhost, repeated
 *                        for BLINK_FOR)
 *   E2E_SETTLE_MS        how long the accepted volumes get to leave `creating` (default 60000)
 *   E2E_LOG_DIR          when set, every process's log lines are written there at the end
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runUsageAudit } from '../../../src/quota/usage-audit';
import { Deployment, type LogLine } from '../../helpers/deployment';
import { httpJson, type Proc } from '../../helpers/processes';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

const BURST = envInt('E2E_BURST', 50);
const BLINK_AFTER_MS = envInt('E2E_BLINK_AFTER_MS', 700);
const BLINK_FOR_MS = envInt('E2E_BLINK_FOR_MS', 3000);
const WAVE = Math.max(1, envInt('E2E_WAVE', 10));
const SPREAD_MS = envInt('E2E_BURST_SPREAD_MS', BLINK_AFTER_MS + BLINK_FOR_MS + 1000);
const SETTLE_MS = envInt('E2E_SETTLE_MS', 60_000);
const BLINK_MODE = process.env['E2E_BLINK_MODE'] || 'proxy';
if (BLINK_MODE !== 'proxy' && BLINK_MODE !== 'close')
  throw new Error(`E2E_BLINK_MODE must be proxy or close, got "${BLINK_MODE}"`);

const REPORT_INTERVAL_S = 1;
/**
 * What each file backend reports (its volume files are sparse). Without it a backend reports the free
 * space of the machine's filesystem, which both backends share with everything else on it: a burst
 * larger than that went to `error` (no valid backend) depending on the machine, and the scheduler's
 * view stayed full until the next capability report (60 s), failing the creates of the next test.
 */
const BACKEND_CAPACITY_GB = Math.max(1000, BURST * 3);
const SERVICE_DOWN_TIME_S = 4;

jest.setTimeout(120_000 + BLINK_FOR_MS + SETTLE_MS);

const PROJECT = 'e2e0123456789abcdef0123456789abc';
const USER = `alice:${PROJECT}`;
const ADMIN = 'admin:admin';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface VolumeRow {
  id: string;
  status: string;
  host: string | null;
  size: number;
  /** Cinder's use_quota: cleared when a create failed after its quota commit and gave the quota back. */
  useQuota: boolean;
}

describe('every service as its own process on MariaDB + RabbitMQ', () => {
  let deployment: Deployment;
  let port: number;
  const services: Record<string, Proc> = {};

  const volumeDir = (host: string): string => path.join(deployment.dir, host);
  const volumeFiles = (): number => ['v1', 'v2'].reduce((n, h) => n + fs.readdirSync(volumeDir(h)).length, 0);
  /** `<backend dir> volume-<id>` for every volume file on the two backends. */
  const filesOnDisk = (): string[] =>
    ['v1', 'v2'].flatMap((h) => fs.readdirSync(volumeDir(h)).map((f) => `${h} ${f}`)).sort();

  async function rows(ids?: readonly string[]): Promise<VolumeRow[]> {
    const found: Array<Record<string, unknown>> = await deployment.db.dataSource.query(
      'SELECT id, status, host, size, use_quota FROM volumes WHERE project_id = ? AND deleted = 0',
      [PROJECT],
    );
    const all = found.map((r) => ({
      id: String(r['id']),
      status: String(r['status']),
      host: r['host'] === null ? null : String(r['host']),
      size: Number(r['size']),
      useQuota: Number(r['use_quota']) === 1,
    }));
    return ids === undefined ? all : all.filter((r) => ids.includes(r.id));
  }

  /** The project's usage as the API shows it. */
  async function usage(): Promise<Record<string, { in_use: number; reserved: number }>> {
    const res = await httpJson(port, 'GET', `/v3/${PROJECT}/os-quota-sets/${PROJECT}?usage=true`, USER);
    expect(res.status).toBe(200);
    return res.body!['quota_set'] as Record<string, { in_use: number; reserved: number }>;
  }

  async function reservationRows(): Promise<number> {
    const r: Array<{ n: number | string }> = await deployment.db.dataSource.query(
      'SELECT COUNT(*) AS n FROM reservations WHERE project_id = ?',
      [PROJECT],
    );
    return Number(r[0]!.n);
  }

  /** Waits until no reservation of the project is outstanding (a delete's release lands just after its row goes). */
  async function settledQuota(
    timeoutMs = 10_000,
  ): Promise<Record<string, { in_use: number; reserved: number }>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const u = await usage();
      const pending = await reservationRows();
      if (
        (pending === 0 && u['volumes']!.reserved === 0 && u['gigabytes']!.reserved === 0) ||
        Date.now() > end
      )
        return u;
      await sleep(100);
    }
  }

  /**
   * The quota rules: in_use counts every volume present that still uses quota (any status; a create the
   * API refused after its quota commit left its row in `error` with the quota given back), reserved
   * nothing once settled, no reservation row left.
   */
  async function expectExactQuota(): Promise<void> {
    const u = await settledQuota();
    const present = (await rows()).filter((v) => v.useQuota);
    expect({
      reservations: await reservationRows(),
      volumes: u['volumes'],
      gigabytes: u['gigabytes'],
    }).toEqual({
      reservations: 0,
      volumes: { ...u['volumes'], in_use: present.length, reserved: 0 },
      gigabytes: { ...u['gigabytes'], in_use: present.reduce((n, v) => n + v.size, 0), reserved: 0 },
    });
    // The product's own audit (per volume type too) finds nothing to fix.
    expect((await runUsageAudit(deployment.db.dataSource, { projectId: PROJECT })).drift).toEqual([]);
  }

  /** os-services as `{ "<binary> <host>": "up" | "down" }` (admin). */
  async function list(): Promise<Record<string, string>> {
    const res = await httpJson(port, 'GET', `/v3/${PROJECT}/os-services`, ADMIN);
    expect(res.status).toBe(200);
    const out: Record<string, string> = {};
    for (const s of res.body!['services'] as Array<{ binary: string; host: string; state: string }>)
      out[`${s.binary} ${s.host}`] = s.state;
    return out;
  }
  /** Polls os-services until it shows `expected` (or the time is up); resolves with the last listing. */
  async function listWhen(
    expected: Record<string, string>,
    timeoutMs: number,
  ): Promise<Record<string, string>> {
    const key = (a: Record<string, string>): string => JSON.stringify(Object.entries(a).sort());
    let states = await list();
    for (
      const end = Date.now() + timeoutMs;
      key(states) !== key(expected) && Date.now() < end;
      states = await list()
    )
      await sleep(200);
    return states;
  }
  const everyoneUp: Record<string, string> = {
    'cinder-scheduler sched1': 'up',
    'cinder-volume v1@file': 'up',
    'cinder-volume v2@file': 'up',
    'nova-conductor ctl1': 'up',
    'nova-compute c1': 'up',
  };

  /** POST /servers (the api process casts the build to the conductor) and polls until ACTIVE or ERROR. */
  async function buildInstance(vcpus: number, ram: number, disk: number): Promise<Record<string, unknown>> {
    const created = await httpJson(port, 'POST', `/v3/${PROJECT}/servers`, USER, {
      server: { name: 'e2e', vcpus, ram, disk },
    });
    expect(created.status).toBe(202);
    const id = (created.body!['server'] as { id: string }).id;
    for (const end = Date.now() + 30_000; ; await sleep(200)) {
      const res = await httpJson(port, 'GET', `/v3/${PROJECT}/servers/${id}`, USER);
      expect(res.status).toBe(200);
      const server = res.body!['server'] as Record<string, unknown>;
      if (server['status'] !== 'BUILD' || Date.now() > end) return server;
    }
  }

  async function createVolume(size: number, timeoutMs?: number) {
    return httpJson(
      port,
      'POST',
      `/v3/${PROJECT}/volumes`,
      USER,
      { volume: { size, name: `e2e-${size}` } },
      timeoutMs,
    );
  }

  /** Polls the rows until none of `ids` is `creating`; resolves with the rows at that point (or at the deadline). */
  async function settle(ids: readonly string[], timeoutMs: number): Promise<VolumeRow[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const now = await rows(ids);
      if (now.every((v) => v.status !== 'creating') || Date.now() > end) return now;
      await sleep(200);
    }
  }

  beforeAll(async () => {
    deployment = await Deployment.create({
      label: 'e2e',
      proxy: BLINK_MODE === 'proxy',
      env: { REPORT_INTERVAL: String(REPORT_INTERVAL_S), SERVICE_DOWN_TIME: String(SERVICE_DOWN_TIME_S) },
    });
    // All at once, in no particular order: a compute that comes up before its conductor waits for it.
    const [scheduler, v1, v2, conductor, c1, api] = await Promise.all([
      deployment.start('scheduler', 'sched1'),
      deployment.start('volume', 'v1', {
        VOLUME_DIR: volumeDir('v1'),
        VOLUME_CAPACITY_GB: String(BACKEND_CAPACITY_GB),
      }),
      deployment.start('volume', 'v2', {
        VOLUME_DIR: volumeDir('v2'),
        VOLUME_CAPACITY_GB: String(BACKEND_CAPACITY_GB),
      }),
      deployment.start('conductor', 'ctl1'),
      deployment.start('compute', 'c1'),
      deployment.startApi(),
    ]);
    Object.assign(services, { scheduler, v1, v2, conductor, c1, api: api.proc });
    port = api.port;
    // A service sends its first heartbeat INITIAL_REPORTING_DELAY (5 s) after it joined, so with a
    // service_down_time this short it looks down until then (and the scheduler would place nothing).
    expect(await listWhen(everyoneUp, 20_000)).toEqual(everyoneUp);
    const quota = await httpJson(port, 'PUT', `/v3/${PROJECT}/os-quota-sets/${PROJECT}`, ADMIN, {
      quota_set: { volumes: 1000, gigabytes: 10_000 },
    });
    expect(quota.status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    const logDir = process.env['E2E_LOG_DIR'];
    if (logDir !== undefined && logDir !== '' && deployment !== undefined) deployment.writeLogs(logDir);
    await deployment?.destroy();
  });

  it('creates volumes that land on both backends and become available', async () => {
    const created = await Promise.all([1, 1, 2, 1, 2, 1].map((size) => createVolume(size)));
    expect(created.map((r) => r.status)).toEqual(Array(6).fill(202));
    const ids = created.map((r) => (r.body!['volume'] as { id: string }).id);

    const settled = await settle(ids, 30_000);

    expect(settled.map((v) => v.status)).toEqual(Array(6).fill('available'));
    expect(new Set(settled.map((v) => v.host))).toEqual(new Set(['v1@file#file', 'v2@file#file']));
    expect(volumeFiles()).toBe(6);
    await expectExactQuota();
  });

  it('builds an instance that becomes ACTIVE through conductor → scheduler → compute', async () => {
    const server = await buildInstance(2, 1024, 5);

    expect(server).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-SRV-ATTR:host': 'c1',
      'OS-EXT-STS:task_state': null,
    });
    // The conductor got the destination from the scheduler and handed the build to c1, which ran it.
    await services['conductor']!.waitFor(
      (l) => l['message'] === 'building instance' && l['instanceUuid'] === server['id'] && l['host'] === 'c1',
      5000,
    );
    await services['c1']!.waitFor(
      (l) => l['message'] === 'instance built' && l['instanceUuid'] === server['id'],
      5000,
    );
    const hv = await httpJson(port, 'GET', `/v3/${PROJECT}/os-hypervisors/detail`, ADMIN);
    expect(hv.body!['hypervisors']).toEqual([
      expect.objectContaining({
        service: { host: 'c1' },
        state: 'up',
        vcpus_used: 2,
        memory_mb_used: 1024,
        local_gb_used: 5,
        running_vms: 1,
      }),
    ]);
  });

  it('a broker blink in the middle of a burst of creates leaves nothing creating and the quota exact', async () => {
    interface Outcome {
      readonly size: number;
      readonly startedAt: number;
      readonly endedAt: number;
      readonly status: number;
      readonly body: Record<string, unknown> | null;
    }
    const earlier = new Set((await rows()).map((v) => v.id));
    const t0 = Date.now();
    const blink = { from: 0, to: 0, connectionsClosed: 0 };
    const blinking = (async () => {
      await sleep(BLINK_AFTER_MS);
      blink.from = Date.now();
      if (deployment.proxy !== undefined) {
        deployment.proxy.setDown();
        await sleep(BLINK_FOR_MS);
        deployment.proxy.setUp();
      } else {
        // Every reconnect within the window is closed again, so the broker is "away" for all of it.
        do blink.connectionsClosed += await deployment.closeBrokerConnections();
        while (Date.now() - blink.from < BLINK_FOR_MS);
      }
      blink.to = Date.now();
    })();
    // Waves of WAVE concurrent creates, their starts spread over SPREAD_MS so the burst surrounds the blink.
    const waves = Math.ceil(BURST / WAVE);
    const outcomes: Outcome[] = await Promise.all(
      Array.from({ length: BURST }, async (_, i) => {
        await sleep(Math.floor((Math.floor(i / WAVE) * SPREAD_MS) / waves));
        const size = 1 + (i % 3);
        const startedAt = Date.now();
        // No request may hang: the API waits for the broker at most its publish wait, then answers.
        const res = await createVolume(size, BLINK_FOR_MS + 30_000);
        return { size, startedAt, endedAt: Date.now(), status: res.status, body: res.body };
      }),
    );
    await blinking;

    // The blink happened while creates were in flight, and every process noticed it and came back.
    const overlapping = outcomes.filter((o) => o.startedAt <= blink.to && o.endedAt >= blink.from);
    expect(overlapping.length).toBeGreaterThan(0);
    const blinkLog = (p: Proc, message: string): LogLine[] =>
      p.lines.filter(
        (l) =>
          l['component'] === 'rpc.amqp' &&
          l['message'] === message &&
          Date.parse(String(l['timestamp'])) >= blink.from - 1000,
      );
    for (const [name, p] of Object.entries(services)) {
      expect({ name, lost: blinkLog(p, 'broker connection lost; reconnecting').length > 0 }).toEqual({
        name,
        lost: true,
      });
      await p.waitFor(
        (l) =>
          l['component'] === 'rpc.amqp' &&
          l['message'] === 'reconnected to the broker' &&
          Date.parse(String(l['timestamp'])) >= blink.from,
        30_000,
      );
    }

    // Refused requests got an OpenStack fault: {"<name>": {"code": <status>, "message": "..."}}.
    const refused = outcomes.filter((o) => o.status !== 202);
    for (const o of refused) {
      expect(o.status).toBeGreaterThanOrEqual(400);
      expect(o.status).toBeLessThan(600);
      const faults = Object.values(o.body ?? {}) as Array<{ code?: unknown; message?: unknown }>;
      expect(faults).toHaveLength(1);
      expect(faults[0]).toEqual({ code: o.status, message: expect.any(String) });
    }
    const accepted = outcomes
      .filter((o) => o.status === 202)
      .map((o) => (o.body!['volume'] as { id: string }).id);
    expect(accepted.length).toBeGreaterThan(0);

    // Every accepted volume leaves `creating`: available or error, none stuck.
    const settled = await settle(accepted, SETTLE_MS);
    const stuck = settled.filter((v) => v.status !== 'available' && v.status !== 'error');
    expect(stuck).toEqual([]);
    expect(settled.map((v) => v.id).sort()).toEqual([...accepted].sort());
    process.stdout.write(
      `broker blink (${BLINK_MODE}) ${blink.to - blink.from} ms starting ${blink.from - t0} ms into a burst of ${BURST} creates over ${SPREAD_MS} ms ` +
        `(${overlapping.length} in flight during it): ` +
        `${accepted.length} accepted (${settled.filter((v) => v.status === 'available').length} available, ` +
        `${settled.filter((v) => v.status === 'error').length} error), ${refused.length} refused ` +
        `(${[...new Set(refused.map((o) => o.status))].join(', ')}); settled ${Date.now() - t0} ms after the first create\n`,
    );

    // Each available volume has its file on its own backend, and no other file is left (a create that ran
    // twice, on two backends, would leave one; an `error` volume may keep its file until deleted).
    const all = await rows();
    // Accepted volumes count in the quota; the only other rows are creates refused after their quota
    // commit: in `error`, their quota given back.
    expect(settled.filter((v) => !v.useQuota)).toEqual([]);
    const leftByRefused = all.filter((v) => !accepted.includes(v.id) && !earlier.has(v.id));
    expect(leftByRefused.filter((v) => v.status !== 'error' || v.useQuota)).toEqual([]);
    expect(leftByRefused.length).toBeLessThanOrEqual(refused.length);
    const fileOf = (v: VolumeRow): string => `${v.host!.split('@')[0]} volume-${v.id}`;
    const files = filesOnDisk();
    expect(files.filter((f) => !all.some((v) => v.host !== null && fileOf(v) === f))).toEqual([]);
    expect(all.filter((v) => v.status === 'available' && !files.includes(fileOf(v)))).toEqual([]);
    await expectExactQuota();

    // Deleting everything gives back exactly what was counted.
    for (const v of all)
      expect((await httpJson(port, 'DELETE', `/v3/${PROJECT}/volumes/${v.id}`, USER)).status).toBe(202);
    const end = Date.now() + 30_000;
    while ((await rows()).length > 0 && Date.now() < end) await sleep(200);
    expect(await rows()).toEqual([]);
    expect(volumeFiles()).toBe(0);
    const u = await settledQuota();
    expect({
      volumes: u['volumes'],
      gigabytes: u['gigabytes'],
      reservations: await reservationRows(),
    }).toEqual({
      volumes: { ...u['volumes'], in_use: 0, reserved: 0 },
      gigabytes: { ...u['gigabytes'], in_use: 0, reserved: 0 },
      reservations: 0,
    });

    // The compute path came back too: conductor, scheduler and compute serve a new build.
    expect(await buildInstance(1, 512, 1)).toMatchObject({ status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'c1' });
  });

  it('a killed service process shows down in os-services after service_down_time, the others up', async () => {
    // Everyone reports again after the blink (the compute's heartbeats go through the conductor).
    expect(await listWhen(everyoneUp, 15_000)).toEqual(everyoneUp);

    /** Kills one service process and waits until os-services shows it down; resolves with how long that took. */
    async function kill(proc: string, key: string): Promise<number> {
      const killedAt = Date.now();
      await services[proc]!.kill();
      while ((await list())[key] === 'up' && Date.now() - killedAt < (SERVICE_DOWN_TIME_S + 5) * 1000)
        await sleep(200);
      return Date.now() - killedAt;
    }
    // Down because its heartbeats stopped: not before service_down_time minus one report interval.
    const notBefore = (SERVICE_DOWN_TIME_S - REPORT_INTERVAL_S) * 1000 - 500;

    const volumeDownAfterMs = await kill('v2', 'cinder-volume v2@file');
    expect(await list()).toEqual({ ...everyoneUp, 'cinder-volume v2@file': 'down' });
    expect(volumeDownAfterMs).toBeGreaterThanOrEqual(notBefore);

    // The scheduler sees it down too: new volumes all go to the backend that is left.
    const created = await Promise.all([1, 1, 1, 1].map((size) => createVolume(size)));
    const ids = created.map((r) => (r.body!['volume'] as { id: string }).id);
    const settled = await settle(ids, 30_000);
    expect(settled.map((v) => [v.status, v.host])).toEqual(Array(4).fill(['available', 'v1@file#file']));

    // The compute reports through the conductor; killed, it goes down the same way.
    const computeDownAfterMs = await kill('c1', 'nova-compute c1');
    expect(computeDownAfterMs).toBeGreaterThanOrEqual(notBefore);
    // The others keep reporting: still up a report interval later.
    await sleep(REPORT_INTERVAL_S * 1000);
    expect(await list()).toEqual({
      ...everyoneUp,
      'cinder-volume v2@file': 'down',
      'nova-compute c1': 'down',
    });
  });
});
