import type { DataSource, QueryRunner } from 'typeorm';
import { dbFlavor } from './sql';

/** Options for {@link withWriteTransaction}. */
export interface WriteTransactionOptions {
  /** Attempts in all, the first included, when the database reports a deadlock, a lock-wait timeout or SQLITE_BUSY. @default 20 */
  maxAttempts?: number;
  /** First backoff in ms; doubles per attempt, with full jitter, capped at 250 ms. @default 4 */
  baseDelayMs?: number;
  /** Called before each retry with the lock error (for metrics and logs). */
  onRetry?: (err: unknown, attempt: number) => void;
}

/** Backoff before retry number `attempt` (1-based): full jitter over base·2^(attempt-1), capped at 250 ms. */
export function retryDelayMs(attempt: number, baseDelayMs = 4): number {
  return Math.random() * Math.min(250, baseDelayMs * 2 ** (attempt - 1));
}

/** A write transaction gave up after retrying deadlocks/lock waits `attempts` times. Carries the last error as `cause`. */
export class TransactionRetryExhaustedError extends Error {
  readonly code = 'DB_TRANSACTION_RETRY_EXHAUSTED';
  constructor(
    readonly attempts: number,
    options: ErrorOptions,
  ) {
    super(`write transaction still deadlocked or lock-timed-out after ${attempts} attempts`, options);
    this.name = new.target.name;
  }
}

const MYSQL_RETRYABLE_ERRNO = new Set([
  1213, // ER_LOCK_DEADLOCK
  1205, // ER_LOCK_WAIT_TIMEOUT
]);

/** Whether an error thrown by a query is a transient lock conflict that a retry of the whole transaction cures. */
export function isRetryableLockError(err: unknown): boolean {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur !== null && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    const e = cur as { errno?: unknown; code?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof e.errno === 'number' && MYSQL_RETRYABLE_ERRNO.has(e.errno)) return true;
    if (e.code === 'ER_LOCK_DEADLOCK' || e.code === 'ER_LOCK_WAIT_TIMEOUT') return true;
    if (typeof e.code === 'string' && e.code.startsWith('SQLITE_BUSY')) return true;
    cur = e.driverError ?? e.cause;
  }
  return false;
}

/** SQLite through TypeORM shares one connection, so write transactions of one process take turns here. */
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

function serialize<T>(ds: DataSource, work: () => Promise<T>): Promise<T> {
  const prev = sqliteQueues.get(ds) ?? Promise.resolve();
  const next = prev.then(work, work);
  sqliteQueues.set(
    ds,
    next.catch(() => undefined),
  );
  return next;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` in one write transaction and commits it; rolls back and rethrows on error.
 * Deadlocks, lock-wait timeouts and SQLITE_BUSY roll back and re-run `work` from the start with
 * bounded, jittered exponential backoff, so `work` must be safe to re-run (do all its writes inside).
 *
 * - MySQL/MariaDB: a pooled connection, `START TRANSACTION` … `COMMIT` at the server's isolation level.
 * - SQLite: `BEGIN IMMEDIATE` (the write lock up front, so two writers never deadlock upgrading a
 *   read lock), and transactions of the same DataSource are queued in-process because TypeORM's
 *   better-sqlite3 driver has a single connection.
 *
 * @throws TransactionRetryExhaustedError when every attempt hit a lock conflict.
 */
export async function withWriteTransaction<T>(
  ds: DataSource,
  work: (q: QueryRunner) => Promise<T>,
  opts: WriteTransactionOptions = {},
): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? 20;
  const baseDelayMs = opts.baseDelayMs ?? 4;
  const sqlite = dbFlavor(ds) === 'sqlite';
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      return sqlite ? await serialize(ds, () => runSqlite(ds, work)) : await runMysql(ds, work);
    } catch (err) {
      if (!isRetryableLockError(err)) throw err;
      lastError = err;
      if (attempt < maxAttempts) {
        opts.onRetry?.(err, attempt);
        await sleep(retryDelayMs(attempt, baseDelayMs));
      }
    }
  }
  throw new TransactionRetryExhaustedError(maxAttempts, { cause: lastError });
}

async function runMysql<T>(ds: DataSource, work: (q: QueryRunner) => Promise<T>): Promise<T> {
  const q = ds.createQueryRunner('master');
  try {
    await q.startTransaction();
    try {
      const result = await work(q);
      await q.commitTransaction();
      return result;
    } catch (err) {
      if (q.isTransactionActive) await q.rollbackTransaction().catch(() => undefined);
      throw err;
    }
  } finally {
    await q.release();
  }
}

async function runSqlite<T>(ds: DataSource, work: (q: QueryRunner) => Promise<T>): Promise<T> {
  const q = ds.createQueryRunner('master');
  await q.query('BEGIN IMMEDIATE');
  try {
    const result = await work(q);
    await q.query('COMMIT');
    return result;
  } catch (err) {
    await q.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
