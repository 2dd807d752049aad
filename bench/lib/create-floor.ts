/**
 * The raw-mysql2 floor of one volume create: the statements a create cannot do without, straight on a
 * mysql2 pool (no ORM, HTTP, RPC, flow engine), with the quota statements imported from
 * src/quota/quota-sql.ts so both sides send the same SQL:
 *   1 the limits read;
 *   2 reserve: START TRANSACTION, lock the project's usage rows, insert the reservations, add to
 *     `reserved`, COMMIT;
 *   3 insert the volume row (`creating`);
 *   4 commit: START TRANSACTION, lock the usage rows, read the reservations, settle the usages, delete
 *     the reservations, COMMIT;
 *   5 the scheduler records the host (conditional on `creating` with no host yet);
 *   6 the volume manager reads the row, then sets `available` (conditional on `creating`).
 * Deadlocks and lock-wait timeouts are retried as the quota engine does.
 *
 * `compound` (the default, as the quota engine sends one operation alone on MariaDB): each quota
 * transaction takes two round trips, START TRANSACTION with the lock and its reads (the limits read
 * included, so step 1 moves into step 2) in one compound statement, the writes and COMMIT in another
 * (src/quota/quota-sql.ts `compound`). `plain`: one statement per round trip, the limits read first,
 * as the issue first defined the floor. Neither shares a transaction between concurrent creates, which
 * the engine does (group commit).
 */
import { performance } from 'node:perf_hooks';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { isRetryableLockError, retryDelayMs } from '../../src/db/transaction';
import { compound, quotaSql } from '../../src/quota/quota-sql';

interface UsageRow {
  id: number;
  resource: string;
  in_use: number;
  reserved: number;
}

export interface FloorCreateOptions {
  readonly projectId: string;
  readonly userId: string;
  readonly volumeTypeId: string;
  /** The resources one create reserves, with their deltas (volumes, gigabytes and the per-type pair). */
  readonly deltas: Readonly<Record<string, number>>;
  readonly host: string;
  readonly availabilityZone: string;
  /** How the quota transactions are sent (see the file's comment). @default 'compound' */
  readonly quotaStatements?: 'compound' | 'plain';
}

/**
 * A quota commit's writes, as the quota engine builds them, from the reservations read under the usage
 * lock (none when they are gone): settle each usage row once, then delete the reservations.
 */
export function commitWrites(rows: readonly unknown[]): Array<[string, unknown[]]> {
  const res = rows as unknown as Array<{ id: number; usage_id: number; delta: number }>;
  if (res.length === 0) return [];
  const per = new Map<number, { dec: number; inc: number }>();
  for (const r of res) {
    const acc = per.get(r.usage_id) ?? { dec: 0, inc: 0 };
    if (r.delta > 0) acc.dec += r.delta;
    acc.inc += r.delta;
    per.set(r.usage_id, acc);
  }
  const usageIds = [...per.keys()].sort((a, b) => a - b);
  const params: unknown[] = [];
  for (const id of usageIds) params.push(id, per.get(id)!.dec);
  for (const id of usageIds) params.push(id, per.get(id)!.inc);
  params.push(new Date(), ...usageIds);
  return [
    [quotaSql.settleUsages(usageIds.length), params],
    [quotaSql.deleteReservations(res.length), res.map((r) => r.id)],
  ];
}

export class FloorCreate {
  retries = 0;
  /** Transactions that locked the usage rows, and ms from the locking read's answer to COMMIT's (as bench/lib/query-counter.ts). */
  lock = { transactions: 0, heldMs: 0 };
  private readonly items: Array<[string, number]>;
  readonly quotaStatements: 'compound' | 'plain';

  constructor(
    private readonly pool: Pool,
    private readonly o: FloorCreateOptions,
  ) {
    this.quotaStatements = o.quotaStatements ?? 'compound';
    this.items = Object.entries(o.deltas).sort(([a], [b]) => (a < b ? -1 : 1));
  }

  private async tx<T>(work: (c: PoolConnection, locked: () => void) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.getConnection();
      let lockedAt: number | undefined;
      try {
        await c.query('START TRANSACTION');
        const out = await work(c, () => (lockedAt = performance.now()));
        await c.query('COMMIT');
        if (lockedAt !== undefined) {
          this.lock.transactions++;
          this.lock.heldMs += performance.now() - lockedAt;
        }
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        if (!isRetryableLockError(err) || attempt >= 20) throw err;
        this.retries++;
      } finally {
        c.release();
      }
      await new Promise((r) => setTimeout(r, retryDelayMs(attempt)));
    }
  }

  /**
   * One quota transaction as two compound statements: START TRANSACTION and `reads`, then what `plan`
   * makes of their result sets and COMMIT. Retried on lock conflicts.
   */
  private async compoundTx<T>(
    reads: Array<[string, unknown[]]>,
    plan: (results: RowDataPacket[][]) => { writes: Array<[string, unknown[]]>; out: T },
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.getConnection();
      try {
        const [answers] = await c.query(...compound([['START TRANSACTION', []], ...reads], true));
        const lockedAt = performance.now();
        const results = (answers as unknown[]).filter((a): a is RowDataPacket[] => Array.isArray(a));
        const { writes, out } = plan(results);
        await c.query(...compound([...writes, ['COMMIT', []]], true));
        this.lock.transactions++;
        this.lock.heldMs += performance.now() - lockedAt;
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        if (!isRetryableLockError(err) || attempt >= 20) throw err;
        this.retries++;
      } finally {
        c.release();
      }
      await new Promise((r) => setTimeout(r, retryDelayMs(attempt)));
    }
  }

  /** Limits from quotaSql.limits' rows: the class's, then the project's own. */
  private static limitsOf(limitRows: RowDataPacket[]): Record<string, number> {
    const limits: Record<string, number> = {};
    for (const row of limitRows)
      if (row['src'] === 0 && !(row['resource'] in limits)) limits[row['resource']] = row['hard_limit'];
    for (const row of limitRows) if (row['src'] === 1) limits[row['resource']] = row['hard_limit'];
    return limits;
  }

  /** The reserve's writes once the usage rows are locked (throws over quota). @returns the statements and ids. */
  private reserveWrites(
    rows: RowDataPacket[],
    limits: Record<string, number>,
  ): { writes: Array<[string, unknown[]]>; out: string[] } {
    const { projectId } = this.o;
    const usages = new Map((rows as unknown as UsageRow[]).map((r) => [r.resource, r]));
    for (const [resource, delta] of this.items) {
      const u = usages.get(resource);
      if (u === undefined) throw new Error(`usage row ${resource} missing (the bench creates them first)`);
      const limit = limits[resource] ?? -1;
      if (delta > 0 && limit >= 0 && u.in_use + u.reserved + delta > limit) throw new Error('over quota');
    }
    const now = new Date();
    const expire = new Date(now.getTime() + 86_400_000);
    const ids = this.items.map(() => uuidv7());
    const params: unknown[] = [];
    this.items.forEach(([resource, delta], i) =>
      params.push(ids[i], usages.get(resource)!.id, projectId, resource, delta, expire, now),
    );
    const up: unknown[] = [];
    for (const [resource, delta] of this.items) up.push(usages.get(resource)!.id, delta);
    up.push(now, ...this.items.map(([resource]) => usages.get(resource)!.id));
    return {
      writes: [
        [quotaSql.insertReservations(this.items.length), params],
        [quotaSql.addReserved(this.items.length), up],
      ],
      out: ids,
    };
  }

  private async reserve(): Promise<string[]> {
    if (this.quotaStatements === 'compound') {
      const resources = this.items.map(([r]) => r);
      return this.compoundTx(
        [
          [quotaSql.lockUsages('mysql'), [this.o.projectId]],
          [quotaSql.limits(resources.length), [this.o.projectId, ...resources, ...resources]],
        ],
        ([rows, limitRows]) => this.reserveWrites(rows!, FloorCreate.limitsOf(limitRows!)),
      );
    }
    const { projectId } = this.o;
    const resources = this.items.map(([r]) => r);
    const [limitRows] = await this.pool.query<RowDataPacket[]>(quotaSql.limits(resources.length), [
      projectId,
      ...resources,
      ...resources,
    ]);
    const limits = FloorCreate.limitsOf(limitRows);
    return this.tx(async (c, locked) => {
      const [rows] = await c.query<RowDataPacket[]>(quotaSql.lockUsages('mysql'), [projectId]);
      locked();
      const { writes, out } = this.reserveWrites(rows, limits);
      for (const [sql, params] of writes) await c.query(sql, params);
      return out;
    });
  }

  private async commit(ids: readonly string[]): Promise<void> {
    const { projectId } = this.o;
    if (this.quotaStatements === 'compound') {
      await this.compoundTx(
        [
          [quotaSql.lockUsages('mysql'), [projectId]],
          [quotaSql.selectReservations('mysql', ids.length), [projectId, ...ids]],
        ],
        ([, rows]) => ({ writes: commitWrites(rows!), out: undefined }),
      );
      return;
    }
    await this.tx(async (c, locked) => {
      await c.query(quotaSql.lockUsages('mysql'), [projectId]);
      locked();
      const [rows] = await c.query<RowDataPacket[]>(quotaSql.selectReservations('mysql', ids.length), [
        projectId,
        ...ids,
      ]);
      for (const [sql, params] of commitWrites(rows)) await c.query(sql, params);
    });
  }

  /** One create, from the limits read to `available`. @returns the volume id. */
  async create(size: number): Promise<string> {
    const o = this.o;
    const ids = await this.reserve();
    const id = uuidv4();
    const now = new Date();
    await this.pool.query(
      'INSERT INTO volumes (id, project_id, user_id, size, status, attach_status, display_name, display_description, ' +
        'availability_zone, volume_type_id, snapshot_id, source_volid, host, bootable, encryption_key_id, multiattach, ' +
        'migration_status, created_at, updated_at, deleted_at, deleted) ' +
        "VALUES (?, ?, ?, ?, 'creating', 'detached', NULL, NULL, ?, ?, NULL, NULL, NULL, 0, NULL, 0, NULL, ?, NULL, NULL, 0)",
      [id, o.projectId, o.userId, size, o.availabilityZone, o.volumeTypeId, now],
    );
    await this.commit(ids);
    await this.pool.query(
      "UPDATE volumes SET status = 'creating', updated_at = ?, host = ? WHERE id = ? AND deleted = 0 AND status IN ('creating') AND host IS NULL",
      [new Date(), o.host, id],
    );
    await this.pool.query('SELECT * FROM volumes WHERE id = ? AND deleted = 0 LIMIT 1', [id]);
    const [res] = await this.pool.query<ResultSetHeader>(
      "UPDATE volumes SET status = 'available', updated_at = ?, host = ? WHERE id = ? AND deleted = 0 AND status IN ('creating')",
      [new Date(), o.host, id],
    );
    if (res.affectedRows !== 1) throw new Error(`floor: volume ${id} was not creating`);
    return id;
  }
}
