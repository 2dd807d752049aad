import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatAudit, table } from '../../../src/bin/client-commands';
import { main, type MainIo } from '../../../src/bin/main';
import { ServiceRegistry } from '../../../src/bin/services';
import { silentLogger } from '../../../src/log';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that answers from `answers` in order and records what was sent. */
function fakeFetch(answers: Array<{ status: number; body: unknown }>, sent: Sent[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    sent.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body === undefined ? undefined : JSON.parse(String(init.body)),
    });
    const next = answers.shift();
    if (next === undefined) throw new Error('no answer left');
    return new Response(JSON.stringify(next.body), {
      status: next.status,
      headers: { 'Content-Type': 'application/json' },
    });
  }) as typeof fetch;
}

const server = (status: string, extra: Record<string, unknown> = {}) => ({
  server: {
    id: 'i-1',
    name: 'vm1',
    status,
    'OS-EXT-SRV-ATTR:host': status === 'ACTIVE' ? 'c1' : null,
    ...extra,
  },
});

describe('client commands through main', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  let sent: Sent[];
  let sleeps: number[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-client-'));
    out = [];
    err = [];
    sent = [];
    sleeps = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function io(answers: Array<{ status: number; body: unknown }>, env: Record<string, string> = {}): MainIo {
    return {
      env: { HOST: '0.0.0.0', PORT: '9876', DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`, ...env },
      cwd: dir,
      isTTY: false,
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
      signals: new EventEmitter(),
      registry: new ServiceRegistry(),
      logger: silentLogger(),
      fetch: fakeFetch(answers, sent),
      sleep: async (ms) => void sleeps.push(ms),
    };
  }

  it('server:create posts the size, polls until ACTIVE and exits 0', async () => {
    const code = await main(
      [
        'server:create',
        '--name',
        'vm1',
        '--vcpus',
        '2',
        '--memory-mb',
        '512',
        '--disk-gb',
        '1',
        '--wait',
        '--token',
        'u:p1',
      ],
      io([
        { status: 202, body: server('BUILD') },
        { status: 200, body: server('BUILD') },
        { status: 200, body: server('ACTIVE') },
      ]),
    );

    expect(code).toBe(0);
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST http://127.0.0.1:9876/v3/servers', // 0.0.0.0 is reached on loopback
      'GET http://127.0.0.1:9876/v3/servers/i-1',
      'GET http://127.0.0.1:9876/v3/servers/i-1',
    ]);
    expect(sent[0]!.body).toEqual({ server: { name: 'vm1', vcpus: 2, ram: 512, disk: 1 } });
    expect(sent[0]!.headers['X-Auth-Token']).toBe('u:p1');
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      server: { status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'c1' },
    });
    expect(sleeps).toEqual([250, 250]);
  });

  it('server:create --wait exits 1 when the build ends in ERROR', async () => {
    const code = await main(
      [
        'server:create',
        '--vcpus',
        '1',
        '--memory-mb',
        '1',
        '--disk-gb',
        '0',
        '--wait',
        '--url',
        'http://api.example:1/',
      ],
      io([
        { status: 202, body: server('BUILD') },
        { status: 200, body: server('ERROR') },
      ]),
    );

    expect(code).toBe(1);
    expect(sent[0]!.url).toBe('http://api.example:1/v3/servers');
    expect(sent[0]!.headers['X-Auth-Token']).toBe('admin:admin');
    expect(err).toEqual(['cinder-ts: server i-1 ended ERROR']);
  });

  it('server:create without --wait returns at once with the BUILD server and exit 0', async () => {
    const code = await main(
      ['server:create', '--vcpus', '1', '--memory-mb', '1', '--disk-gb', '0'],
      io([{ status: 202, body: server('BUILD') }]),
    );

    expect(code).toBe(0);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(out.join('\n')).server.status).toBe('BUILD');
  });

  it('prints the API fault message and exits 1 when the API refuses', async () => {
    const code = await main(
      ['server:show', 'nope'],
      io([
        { status: 404, body: { itemNotFound: { code: 404, message: 'Instance nope could not be found.' } } },
      ]),
    );

    expect(code).toBe(1);
    expect(err).toEqual([
      'cinder-ts: server:show failed: GET /v3/servers/nope: HTTP 404: Instance nope could not be found.',
    ]);
  });

  it('hypervisor:list prints used/total per node', async () => {
    const code = await main(
      ['hypervisor:list'],
      io([
        {
          status: 200,
          body: {
            hypervisors: [
              {
                id: 1,
                hypervisor_hostname: 'c1',
                service: { host: 'c1' },
                state: 'up',
                vcpus: 8,
                vcpus_used: 2,
                memory_mb: 16384,
                memory_mb_used: 1024,
                local_gb: 500,
                local_gb_used: 5,
                running_vms: 1,
              },
            ],
          },
        },
      ]),
    );

    expect(code).toBe(0);
    expect(sent[0]!.url).toBe('http://127.0.0.1:9876/v3/os-hypervisors/detail');
    expect(out).toEqual([
      'ID  HYPERVISOR  HOST  STATE  VCPUS_USED/TOTAL  RAM_MB_USED/TOTAL  DISK_GB_USED/TOTAL  VMS',
      '1   c1          c1    up     2/8               1024/16384         5/500               1',
    ]);
  });

  it('server:list --all-projects asks for all_tenants', async () => {
    const code = await main(
      ['server:list', '--all-projects', '--json'],
      io([{ status: 200, body: { servers: [] } }]),
    );

    expect(code).toBe(0);
    expect(sent[0]!.url).toBe('http://127.0.0.1:9876/v3/servers/detail?all_tenants=1');
    expect(JSON.parse(out.join('\n'))).toEqual({ servers: [] });
  });

  it('quota:audit reads the database: exit 1 on drift, 0 once --fix corrected it, 0 when clean', async () => {
    const env = io([]);
    expect(await main(['db:migrate'], env)).toBe(0);
    const { createDataSource } = await import('../../../src/db/data-source');
    const ds = createDataSource(`sqlite:${path.join(dir, 'db.sqlite')}`);
    await ds.initialize();
    await ds.query(
      "INSERT INTO quota_usages (project_id, resource, in_use, reserved, created_at) VALUES ('p1', 'volumes', 3, 0, '2026-01-01 00:00:00')",
    );
    await ds.destroy();
    out = [];

    const found = await main(['quota:audit'], env);
    const foundLines = out.splice(0);
    const fixed = await main(['quota:audit', '--fix', '--project', 'p1'], env);
    const fixedLines = out.splice(0);
    const clean = await main(['quota:audit'], env);

    expect(found).toBe(1);
    expect(foundLines[0]).toBe('drift: project p1 volumes: in_use 3, actual 0 (reserved 0)');
    expect(fixed).toBe(0);
    expect(fixedLines[0]).toBe('drift: project p1 volumes: in_use 3, actual 0 (reserved 0) — fixed');
    expect(clean).toBe(0);
    expect(out.at(-1)).toMatch(/0 finding\(s\): usage is exact$/);
  });
});

describe('formatAudit', () => {
  const drift = { projectId: 'p', resource: 'gigabytes', recorded: 5, actual: 4, reserved: 1, fixed: false };
  const none = { reservedDrift: [], expiredReservations: [], orphanReservations: [], skippedProjects: [] };

  it('exits 1 for drift left in place and 0 when clean', () => {
    expect(formatAudit({ ...none, projectsChecked: 2, drift: [drift], fixedCount: 0 }, false)).toEqual({
      lines: [
        'drift: project p gigabytes: in_use 5, actual 4 (reserved 1)',
        '2 project(s) checked, 1 finding(s)',
      ],
      code: 1,
    });
    expect(formatAudit({ ...none, projectsChecked: 2, drift: [], fixedCount: 0 }, false)).toEqual({
      lines: ['2 project(s) checked, 0 finding(s): usage is exact'],
      code: 0,
    });
  });

  it('counts reservation findings as drift too', () => {
    const expire = new Date('2026-01-01T00:00:00Z');
    const { lines, code } = formatAudit(
      {
        ...none,
        projectsChecked: 1,
        drift: [],
        fixedCount: 0,
        reservedDrift: [{ projectId: 'p', resource: 'volumes', recorded: 2, actual: 0, fixed: false }],
        expiredReservations: [
          { uuid: 'r1', projectId: 'p', resource: 'volumes', delta: 1, expire, fixed: false },
        ],
        orphanReservations: [
          { uuid: 'r2', projectId: 'p', resource: 'volumes', delta: 1, expire, fixed: false },
        ],
      },
      false,
    );

    expect(lines).toEqual([
      'drift: project p volumes: reserved 2, outstanding reservations 0',
      'expired reservation r1: project p volumes 1 (expired 2026-01-01T00:00:00.000Z)',
      'orphan reservation r2: project p volumes 1',
      '1 project(s) checked, 3 finding(s)',
    ]);
    expect(code).toBe(1);
  });

  it('names projects skipped for reservations in flight, and exits 0 after fixing', () => {
    const { lines, code } = formatAudit(
      {
        ...none,
        projectsChecked: 1,
        drift: [{ ...drift, fixed: true }],
        fixedCount: 1,
        skippedProjects: ['q'],
      },
      true,
    );

    expect(lines).toContain(
      'skipped: project q has reservations in flight; in_use left alone, run the audit again later',
    );
    expect(lines.at(-1)).toBe('1 project(s) checked, 1 finding(s), 1 fixed');
    expect(code).toBe(0);
  });
});

describe('table', () => {
  it('pads columns and shows missing cells as -', () => {
    expect(table(['A', 'BB'], [['xyz', null]])).toEqual(['A    BB', 'xyz  -']);
  });
});
