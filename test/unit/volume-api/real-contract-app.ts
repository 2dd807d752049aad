/**
 * The contract tests' app (test/unit/api/contract/contract-app.ts) rebuilt on the real backend: same
 * constants, the sample volumes seeded as rows, the default type given the contract's id and the extra
 * type created, quotas unlimited; every request waits for that setup. Used by
 * contract-on-real-backend.test.ts through jest.mock.
 */
import express, { type Express } from 'express';
import { createTestSqliteDatabase } from '../../helpers/db';
import type { VolumeViewSource } from '../../../src/api/views';
import { makeHarness } from './harness';
import type * as ContractApp from '../api/contract/contract-app';

const real = jest.requireActual<typeof ContractApp>('../api/contract/contract-app');

export const drops: (() => Promise<void>)[] = [];

export function realContractApp(volumes: readonly VolumeViewSource[] = real.sampleVolumes(5)): Express {
  const ready = (async () => {
    const db = await createTestSqliteDatabase();
    drops.push(() => db.drop());
    const h = makeHarness(db);
    const ds = h.ds;
    await ds.query("UPDATE volume_types SET id = ? WHERE name = '__DEFAULT__'", [real.DEFAULT_TYPE_ID]);
    await ds.query(
      "INSERT INTO volume_types (id, name, description, is_public, created_at, deleted) VALUES ('11111111-2222-4333-8444-555555555555', ?, NULL, 1, ?, 0)",
      [real.TYPE_NAMES[0], new Date(Date.now() + 60_000).toISOString().replace('T', ' ').replace('Z', '')],
    );
    h.api.db.invalidateTypes();
    for (const p of [real.PROJECT, real.OTHER_PROJECT])
      await h.quotas.setLimits(p, { volumes: -1, gigabytes: -1 });
    for (const v of volumes) {
      await ds.query(
        'INSERT INTO volumes (id, project_id, user_id, size, status, attach_status, display_name, display_description, availability_zone, volume_type_id, host, bootable, multiattach, created_at, updated_at, deleted) ' +
          "VALUES (?, ?, ?, ?, ?, 'detached', ?, ?, ?, ?, ?, 0, 0, ?, ?, 0)",
        [
          v.id,
          v.projectId,
          v.userId,
          v.size,
          v.status,
          v.displayName,
          v.displayDescription,
          v.availabilityZone,
          v.volumeTypeId,
          v.host,
          '2026-11-22 03:07:14.000',
          '2026-11-22 03:07:14.000',
        ],
      );
    }
    return h.app;
  })();
  const app = express();
  app.use((req, res, next) => {
    ready.then((inner) => inner(req, res, next), next);
  });
  return app;
}
