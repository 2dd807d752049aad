/** @jest-environment ./test/integration/rpc/unhandled-rejection-environment.js */
/**
 * The volume backend over real RabbitMQ and MariaDB: scheduler, three volume services and the API each
 * on its own AMQP connection (as separate processes would be). Capability reports travel by fanout,
 * creates by topic casts to `volume.<host>@<backend>`.
 */
import { AmqpTransport } from '../../../src/rpc/amqp-transport';
import { FakeDriver } from '../../../src/volume/drivers';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';
import {
  deleteNamespace,
  requireAmqpUrl,
  transportOptions,
  uniqueNamespace,
  unhandledRejections,
} from '../rpc/amqp-helpers';
import { startVolumeCloud, type VolumeCloud } from '../../unit/volume/backend-cloud';

describe('volume backend over RabbitMQ and MariaDB', () => {
  const ns = uniqueNamespace('volume');
  let url: string;
  let db: TestDatabase;
  let cloud: VolumeCloud;
  const drivers = {
    a: new FakeDriver({ capacityGb: 100 }),
    b: new FakeDriver({ capacityGb: 100 }),
    c: new FakeDriver({ capacityGb: 100 }),
  };

  beforeAll(async () => {
    url = await requireAmqpUrl();
    db = await createTestMysqlDatabase();
    cloud = await startVolumeCloud({
      dataSource: db.dataSource,
      backends: { a: { driver: drivers.a }, b: { driver: drivers.b }, c: { driver: drivers.c } },
      makeTransport: async (name) => {
        const t = new AmqpTransport(
          transportOptions(url, ns, { connectionName: `volume-test:${name}`, defaultTimeoutMs: 10_000 }),
        );
        await t.connect();
        return t;
      },
    });
  });

  afterAll(async () => {
    await cloud?.stop();
    await db?.drop();
    if (url !== undefined) await deleteNamespace(url, ns);
    expect(unhandledRejections()).toEqual([]);
  });

  it('spreads a burst of creates over every backend, all available, quota exact', async () => {
    const ids = await Promise.all(Array.from({ length: 9 }, () => cloud.create('p1', { size: 5 })));
    const vols = await Promise.all(ids.map((id) => cloud.settled(id, 30_000)));

    expect(vols.map((v) => v?.status)).toEqual(Array(9).fill('available'));
    expect([drivers.a.volumes.size, drivers.b.volumes.size, drivers.c.volumes.size]).toEqual([3, 3, 3]);
    const q = await cloud.quotas.getProjectQuotas('p1', { usages: true });
    expect([q['volumes']!.inUse, q['gigabytes']!.inUse, q['volumes']!.reserved]).toEqual([9, 45, 0]);
  });

  it('reschedules a failed create to another backend and deletes through the chosen host', async () => {
    drivers.a.failAlways('create');
    drivers.b.failAlways('create');

    const id = await cloud.create('p2', { size: 1 });
    const v = await cloud.settled(id, 30_000);
    await cloud.api.delete(cloud.ctx('p2'), id);
    const gone = await cloud.settled(id, 30_000);

    expect(v).toMatchObject({ status: 'available', host: 'c@fake#fake' });
    expect(gone).toBeNull();
    expect(drivers.c.volumes.has(id)).toBe(false);
    // The row goes first, then the release is committed (Cinder's order): wait for it briefly.
    let q = await cloud.quotas.getProjectQuotas('p2', { usages: true });
    for (let i = 0; i < 100 && q['volumes']!.inUse !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      q = await cloud.quotas.getProjectQuotas('p2', { usages: true });
    }
    expect([q['volumes']!.inUse, q['gigabytes']!.inUse]).toEqual([0, 0]);
  });
});
