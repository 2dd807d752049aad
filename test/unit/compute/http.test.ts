/**
 * The compute resources of the HTTP API (servers, os-hypervisors) on the real app and middlewares,
 * SQLite, and a stand-in conductor on the in-process transport that records the builds it is handed.
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../../src/api/app';
import { jsonBody } from '../../../src/api/middleware/body';
import { microversion } from '../../../src/api/middleware/microversion';
import { noAuth } from '../../../src/api/middleware/noauth';
import { ComputeApi } from '../../../src/compute/api';
import { computeV3Routes, serverStatus } from '../../../src/compute/http';
import { ComputeNodeEntity } from '../../../src/db/entities/compute-node.entity';
import { silentLogger } from '../../../src/log';
import { ObjectEnvironment, ObjectSerializer } from '../../../src/objects';
import { RpcClient } from '../../../src/rpc/client';
import type { RequestContext } from '../../../src/rpc/context';
import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import { RpcServer } from '../../../src/rpc/server';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';
import { waitFor } from '../../contracts/transport.contract';

const P1 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
const P2 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2';

class StandInConductor {
  readonly rpcApiVersion = '3.0';
  readonly builds: Array<{ instanceUuid: unknown; projectId: string | null }> = [];
  build_instances(ctx: RequestContext, args: Record<string, unknown>): void {
    this.builds.push({ instanceUuid: args['instanceUuid'], projectId: ctx.projectId });
  }
}

describe('servers and os-hypervisors over HTTP', () => {
  let db: TestDatabase;
  let transport: InProcessTransport;
  let server: RpcServer;
  let conductor: StandInConductor;
  let app: Express;
  let computeServices: Record<string, { up: boolean; disabled: boolean }>;

  beforeEach(async () => {
    db = await createTestSqliteDatabase();
    transport = new InProcessTransport({ defaultTimeoutMs: 2000 });
    await transport.connect();
    conductor = new StandInConductor();
    server = new RpcServer(transport, { topic: 'conductor', server: 'ctl' }, [conductor]);
    await server.start();
    const env = ObjectEnvironment.direct('nova-api', db.dataSource);
    const api = new ComputeApi(
      env,
      new RpcClient(
        transport,
        { topic: 'conductor' },
        { version: '3.0', serializer: new ObjectSerializer(env) },
      ),
    );
    computeServices = { c1: { up: true, disabled: false }, c2: { up: false, disabled: true } };
    const mountCompute = computeV3Routes(api, { computeService: async (h) => computeServices[h] });
    app = createApp({
      config: { maxRequestBodySize: 114_688 },
      logger: silentLogger(),
      mountV3: (v3) => {
        v3.use(noAuth());
        v3.use(microversion());
        v3.use(jsonBody());
        mountCompute(v3);
      },
    });
  });

  afterEach(async () => {
    await server.stop();
    await transport.close();
    await db.drop();
  });

  const create = (project: string, body: unknown, user = 'alice') =>
    request(app)
      .post(`/v3/${project}/servers`)
      .set('X-Auth-Token', `${user}:${project}`)
      .send(body as object);

  it('creates a server in BUILD and hands its build to the conductor', async () => {
    const res = await create(P1, { server: { name: 'vm1', vcpus: 2, ram: 512, disk: 1 } });

    expect(res.status).toBe(202);
    expect(res.body.server).toMatchObject({
      name: 'vm1',
      status: 'BUILD',
      tenant_id: P1,
      user_id: 'alice',
      flavor: { vcpus: 2, ram: 512, disk: 1 },
      'OS-EXT-STS:vm_state': 'building',
      'OS-EXT-STS:task_state': 'scheduling',
      'OS-EXT-SRV-ATTR:host': null,
    });
    expect(res.headers['x-openstack-request-id']).toMatch(/^req-/);
    await waitFor(() => conductor.builds.length === 1, 2000, 'the build cast');
    expect(conductor.builds).toEqual([{ instanceUuid: res.body.server.id, projectId: P1 }]);
  });

  it.each([
    [{}, "Invalid input for field/attribute server: a 'server' object is required."],
    [
      { server: { vcpus: 0, ram: 512, disk: 1 } },
      'Invalid input for field/attribute vcpus: must be an integer >= 1.',
    ],
    [
      { server: { vcpus: 1, ram: 1.5, disk: 1 } },
      'Invalid input for field/attribute ram: must be an integer >= 1.',
    ],
    [
      { server: { vcpus: 1, ram: 512, disk: -1 } },
      'Invalid input for field/attribute disk: must be an integer >= 0.',
    ],
    [
      { server: { name: 7, vcpus: 1, ram: 512, disk: 1 } },
      'Invalid input for field/attribute name: must be a string of at most 255 characters.',
    ],
  ])('refuses %j with 400 and builds nothing', async (body, message) => {
    const res = await create(P1, body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message } });
    expect(conductor.builds).toEqual([]);
  });

  it("shows a project its own servers only; an admin sees every project's with all_tenants", async () => {
    const mine = (await create(P1, { server: { name: 'a', vcpus: 1, ram: 64, disk: 0 } })).body.server;
    await create(P2, { server: { name: 'b', vcpus: 1, ram: 64, disk: 0 } }, 'bob');

    const own = await request(app).get(`/v3/${P1}/servers`).set('X-Auth-Token', `alice:${P1}`);
    const other = await request(app)
      .get(`/v3/${P2}/servers/${String(mine.id)}`)
      .set('X-Auth-Token', `bob:${P2}`);
    const everyone = await request(app)
      .get('/v3/servers/detail?all_tenants=1')
      .set('X-Auth-Token', 'admin:admin');
    const notAdmin = await request(app)
      .get('/v3/servers/detail?all_tenants=1')
      .set('X-Auth-Token', `alice:${P1}`);
    const foreign = await request(app).get(`/v3/${P2}/servers`).set('X-Auth-Token', `alice:${P1}`);

    expect(own.body).toEqual({ servers: [{ id: mine.id, name: 'a' }] });
    expect(other.status).toBe(404);
    expect(other.body.itemNotFound.message).toBe(`Instance ${String(mine.id)} could not be found.`);
    expect(everyone.body.servers.map((s: { name: string }) => s.name).sort()).toEqual(['a', 'b']);
    expect(notAdmin.body.servers.map((s: { name: string }) => s.name)).toEqual(['a']); // all_tenants needs an admin
    expect(foreign.status).toBe(400); // Cinder's "Malformed request url" for another project in the URL
  });

  it('lists hypervisors with totals, usage and up/down for admins only', async () => {
    const repo = db.dataSource.getRepository(ComputeNodeEntity);
    for (const [host, used] of [
      ['c1', 1024],
      ['c2', 0],
      ['c3', 0],
    ] as const) {
      await repo.insert(
        repo.create({
          uuid: randomUUID(),
          host,
          hypervisorHostname: host,
          vcpus: 8,
          vcpusUsed: used === 0 ? 0 : 2,
          memoryMb: 4096,
          memoryMbUsed: used,
          localGb: 100,
          localGbUsed: used === 0 ? 0 : 10,
          freeRamMb: 4096 - used,
          freeDiskGb: used === 0 ? 100 : 90,
          runningVms: used === 0 ? 0 : 1,
          createdAt: new Date(),
          deleted: 0,
        }),
      );
    }

    const admin = await request(app).get('/v3/os-hypervisors/detail').set('X-Auth-Token', 'admin:admin');
    const short = await request(app).get('/v3/os-hypervisors').set('X-Auth-Token', 'admin:admin');
    const member = await request(app)
      .get(`/v3/${P1}/os-hypervisors/detail`)
      .set('X-Auth-Token', `alice:${P1}`);

    expect(admin.status).toBe(200);
    expect(admin.body.hypervisors[0]).toMatchObject({
      hypervisor_hostname: 'c1',
      state: 'up',
      service: { host: 'c1' },
      vcpus: 8,
      vcpus_used: 2,
      memory_mb: 4096,
      memory_mb_used: 1024,
      local_gb: 100,
      local_gb_used: 10,
      free_ram_mb: 3072,
      running_vms: 1,
    });
    expect(admin.body.hypervisors[0]).toMatchObject({ status: 'enabled' });
    expect(admin.body.hypervisors[1]).toMatchObject({
      hypervisor_hostname: 'c2',
      state: 'down',
      status: 'disabled',
      running_vms: 0,
    });
    expect(admin.body.hypervisors[2]).toMatchObject({
      hypervisor_hostname: 'c3',
      state: 'down',
      status: 'enabled',
    }); // no service record
    expect(short.body.hypervisors.map((h: Record<string, unknown>) => Object.keys(h).sort())).toEqual([
      ['hypervisor_hostname', 'id', 'state', 'status'],
      ['hypervisor_hostname', 'id', 'state', 'status'],
      ['hypervisor_hostname', 'id', 'state', 'status'],
    ]);
    expect(member.status).toBe(403);
  });

  it("maps Nova's vm states to API statuses", () => {
    expect([
      serverStatus('building'),
      serverStatus('active'),
      serverStatus('error'),
      serverStatus(null),
      serverStatus('paused'),
    ]).toEqual(['BUILD', 'ACTIVE', 'ERROR', 'UNKNOWN', 'PAUSED']);
  });
});
