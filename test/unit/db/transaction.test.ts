import { ServiceEntity } from '../../../src/db/entities';
import { dbDate } from '../../../src/db/sql';
import { QueryFailedError } from 'typeorm';
import {
  isRetryableLockError,
  retryOnLockConflict,
  TransactionRetryExhaustedError,
  withWriteTransaction,
} from '../../../src/db/transaction';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('withWriteTransaction on SQLite', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestSqliteDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  const insertUsage = (
    resource: string,
    q: { query(sql: string, p: unknown[]): Promise<unknown> } = db.dataSource,
  ) =>
    q.query(
      'INSERT INTO quota_usages (project_id, resource, in_use, reserved, created_at) VALUES (?, ?, 0, 0, ?)',
      ['p', resource, dbDate(db.dataSource, new Date())],
    );
  const resources = async (): Promise<string[]> =>
    (await db.dataSource.query('SELECT resource FROM quota_usages ORDER BY resource')).map(
      (r: { resource: string }) => r.resource,
    );

  it('keeps a statement issued elsewhere out of an open transaction that then rolls back', async () => {
    const tx = withWriteTransaction(db.dataSource, async (q) => {
      await insertUsage('inside', q);
      await tick(30);
      throw new Error('boom');
    });
    await tick(5);

    const outside = insertUsage('outside');

    await expect(tx).rejects.toThrow('boom');
    await outside;
    expect(await resources()).toEqual(['outside']);
  });

  it('lets TypeORM-managed transactions (save) run alongside without "transaction within a transaction"', async () => {
    const repo = db.dataSource.getRepository(ServiceEntity);
    const saves = Array.from({ length: 5 }, (_, i) =>
      repo.save(
        repo.create({ host: `h${i}`, binary: 'cinder-volume', topic: 'volume', createdAt: new Date() }),
      ),
    );
    const txs = Array.from({ length: 5 }, (_, i) =>
      withWriteTransaction(db.dataSource, async (q) => {
        await insertUsage(`r${i}`, q);
        await tick(2);
      }),
    );

    await Promise.all([...saves, ...txs]);

    expect(await repo.count()).toBe(5);
    expect(await resources()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('runs a nested call inside the open transaction', async () => {
    await expect(
      withWriteTransaction(db.dataSource, async (q) => {
        await insertUsage('outer', q);
        await withWriteTransaction(db.dataSource, (inner) => insertUsage('inner', inner));
        throw new Error('undo both');
      }),
    ).rejects.toThrow('undo both');

    expect(await resources()).toEqual([]);
  });
});

describe('isRetryableLockError', () => {
  it.each([
    [{ errno: 1213 }, true],
    [{ errno: 1205 }, true],
    [{ driverError: { code: 'ER_LOCK_DEADLOCK' } }, true],
    [{ driverError: { code: 'SQLITE_BUSY_SNAPSHOT' } }, true],
    [{ cause: { errno: 1213 } }, true],
    [{ errno: 1062 }, false],
    // What TypeORM actually throws for mysql2's deadlock: the driver error wrapped (and its fields copied).
    [
      new QueryFailedError('INSERT IGNORE INTO quota_usages', [], {
        code: 'ER_LOCK_DEADLOCK',
        errno: 1213,
        message: 'Deadlock found when trying to get lock; try restarting transaction',
      } as unknown as Error),
      true,
    ],
    [
      new QueryFailedError('INSERT INTO x', [], {
        code: 'ER_DUP_ENTRY',
        errno: 1062,
        message: 'Duplicate entry',
      } as unknown as Error),
      false,
    ],
    [new Error('plain'), false],
    [null, false],
  ])('classifies %j as %s', (err, expected) => {
    expect(isRetryableLockError(err)).toBe(expected);
  });
});

describe('retryOnLockConflict', () => {
  const deadlock = (): Error => Object.assign(new Error('Deadlock found'), { errno: 1213 });

  it('re-runs a single statement that deadlocked and returns its result', async () => {
    let calls = 0;
    const retried: number[] = [];

    const result = await retryOnLockConflict(
      async () => {
        calls++;
        if (calls < 3) throw deadlock();
        return 'done';
      },
      { baseDelayMs: 0, onRetry: (_err, attempt) => retried.push(attempt) },
    );

    expect([result, calls, retried]).toEqual(['done', 3, [1, 2]]);
  });

  it('rethrows other errors at once and gives up after maxAttempts lock conflicts', async () => {
    let calls = 0;
    await expect(
      retryOnLockConflict(async () => {
        calls++;
        throw new Error('syntax');
      }),
    ).rejects.toThrow('syntax');
    expect(calls).toBe(1);

    const err = await retryOnLockConflict(
      async () => {
        throw deadlock();
      },
      { maxAttempts: 3, baseDelayMs: 0 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionRetryExhaustedError);
    expect((err as TransactionRetryExhaustedError).attempts).toBe(3);
  });
});
