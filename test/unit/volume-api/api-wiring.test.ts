import request from 'supertest';
import { createApp } from '../../../src/api/app';
import { silentLogger } from '../../../src/log';
import { InProcessTransport, type Transport } from '../../../src/rpc';
import { volumeApiV3 } from '../../../src/volume/api-wiring';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';
import { FakeBackend, FakeScheduler, PROJECT, USER, dbState } from './harness';

describe('volumeApiV3 (the api service v3 builder)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestSqliteDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('builds VolumeAPI on the shared database and the RPC clients on the shared transport', async () => {
    const transport = new InProcessTransport();
    const scheduler = new FakeScheduler(() => db.dataSource);
    const seen: Transport[] = [];
    const build = volumeApiV3({
      scheduler: (t) => (seen.push(t), scheduler),
      backend: (t) => (seen.push(t), new FakeBackend()),
    });

    const mountV3 = await build({
      config: {
        defaultVolumeType: '__DEFAULT__',
        defaultAvailabilityZone: 'nova',
        osapiMaxLimit: 2,
        serviceDownTime: 60,
        reservationExpire: 86400,
      },
      logger: silentLogger(),
      resources: { dataSource: async () => db.dataSource, transport: async () => transport },
    });
    const app = createApp({ config: { maxRequestBodySize: 114688 }, logger: silentLogger(), mountV3 });
    for (let i = 0; i < 3; i++) {
      const res = await request(app)
        .post(`/v3/${PROJECT}/volumes`)
        .set('X-Auth-Token', USER)
        .set('Content-Type', 'application/json')
        .send('{"volume": {"size": 1}}');
      expect(res.status).toBe(202);
    }
    const list = await request(app).get(`/v3/${PROJECT}/volumes`).set('X-Auth-Token', USER);

    expect(seen).toEqual([transport, transport]);
    expect(scheduler.casts).toHaveLength(3);
    expect((await dbState(db.dataSource)).usage.volumes).toEqual({ in_use: 3, reserved: 0 });
    expect((list.body as { volumes: unknown[] }).volumes).toHaveLength(2); // osapi_max_limit applies
  });
});
