/**
 * os-attach / os-detach / os-initialize_connection / os-terminate_connection through the real RPC:
 * the API's VolumeAttachments calls the volume service (VolumeRpcApi → VolumeManager), with a
 * FileDriver, so the connection info is the volume's file. Run by attach-rpc.test.ts (SQLite, the
 * in-process transport) and test/integration/volume/attach-rpc-amqp.int.test.ts (MariaDB, RabbitMQ).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { rpcContextOf } from '../../../src/tasks/volume';
import { BadRequestParameterError } from '../../../src/api/errors';
import { FakeDriver, FileDriver } from '../../../src/volume/drivers';
import { VolumeAttachments, VolumeConnectionFailedError } from '../../../src/volume/attach';
import { VolumeRpcApi } from '../../../src/volume/rpc-api';
import type { Transport } from '../../../src/rpc';
import type { TestDatabase } from '../../helpers/db';
import { startVolumeCloud, type VolumeCloud } from './backend-cloud';

const INSTANCE = '6ffd8cc5-7bdc-4b61-a0a4-0d3c1f53ad4a';
const INSTANCE2 = '9d0c6a57-0b5e-4a43-8a8f-2b0b5d0b4c21';

export function attachRpcSuite(
  label: string,
  makeDb: () => Promise<TestDatabase>,
  makeTransport?: () => (service: string) => Promise<Transport>,
  after?: () => Promise<void>,
): void {
  describe(`legacy attach calls over RPC (${label})`, () => {
    let db: TestDatabase;
    let cloud: VolumeCloud;
    let dir: string;
    let attachments: VolumeAttachments;
    const ctx = rpcContextOf({
      project_id: 'p1',
      user_id: 'u1',
      is_admin: false,
      request_id: 'req-1',
      roles: [],
      quota_committed: true,
    });

    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'attach-rpc-'));
      db = await makeDb();
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: {
          n1: { driver: new FileDriver({ directory: dir, capacityGb: 100 }) },
          n2: { driver: new FakeDriver() },
        },
        ...(makeTransport !== undefined ? { makeTransport: makeTransport() } : {}),
      });
      attachments = new VolumeAttachments(db.dataSource, new VolumeRpcApi(cloud.transport));
    });
    afterEach(async () => {
      await cloud.stop();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
      await after?.();
    });

    async function volumeOn(node: string): Promise<string> {
      const id = await cloud.create('p1', { size: 1 });
      const v = await cloud.settled(id);
      expect(v?.status).toBe('available');
      // Place it on the backend the test wants (the scheduler chose one of the two).
      await db.dataSource.query('UPDATE volumes SET host = ? WHERE id = ?', [
        `${cloud.managers[node]!.host}#pool`,
        id,
      ]);
      return id;
    }

    it('attaches, answers the file as a local connection, detaches', async () => {
      const id = await volumeOn('n1');
      const vol = await cloud.api.getRecord({ isAdmin: true, projectId: 'p1' }, id);
      await attachments.reserve(vol);
      const info = await attachments.initializeConnection(ctx, vol, { host: 'node1', initiator: 'iqn.x' });
      expect(info).toEqual({
        driver_volume_type: 'local',
        data: {
          device_path: path.join(dir, `volume-${id}`),
          qos_specs: null,
          access_mode: 'rw',
          encrypted: false,
        },
      });
      await attachments.attach(ctx, vol, {
        instanceUuid: INSTANCE,
        hostName: null,
        mountpoint: '/dev/vdb',
        mode: 'rw',
      });
      expect((await cloud.rows.get(id))?.status).toBe('in-use');

      const inUse = await cloud.api.getRecord({ isAdmin: true, projectId: 'p1' }, id);
      await expect(
        attachments.attach(ctx, inUse, {
          instanceUuid: INSTANCE2,
          hostName: null,
          mountpoint: '/dev/vdc',
          mode: 'rw',
        }),
      ).rejects.toEqual(
        new BadRequestParameterError(
          'os-attach',
          'Error attaching volume - InvalidVolume: Invalid volume: volume is already attached and multiple attachments are not enabled',
        ),
      );
      await attachments.terminateConnection(ctx, inUse, { host: 'node1' });
      expect((await cloud.rows.get(id))?.status).toBe('in-use');
      await attachments.detach(ctx, inUse, null);
      const after: { status: string; attach_status: string }[] = await db.dataSource.query(
        'SELECT status, attach_status FROM volumes WHERE id = ?',
        [id],
      );
      expect(after[0]).toEqual({ status: 'available', attach_status: 'detached' });
    });

    it('terminate_connection unreserves a volume still attaching', async () => {
      const id = await volumeOn('n1');
      const vol = await cloud.api.getRecord({ isAdmin: true, projectId: 'p1' }, id);
      await attachments.reserve(vol);
      await attachments.terminateConnection(ctx, vol, null);
      expect((await cloud.rows.get(id))?.status).toBe('available');
    });

    it("a backend without connections answers Cinder's 500 text", async () => {
      const id = await volumeOn('n2');
      const vol = await cloud.api.getRecord({ isAdmin: true, projectId: 'p1' }, id);
      await expect(attachments.initializeConnection(ctx, vol, {})).rejects.toEqual(
        new VolumeConnectionFailedError('Unable to fetch connection information from backend.'),
      );
    });
  });
}
