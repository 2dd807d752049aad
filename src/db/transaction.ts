import { AsyncLocalStorage } from 'node:async_hooks';
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

/** The fields of a driver error (mysql2, better-sqlite3) that the checks below read. */
export interface DriverErrorFields {
  readonly errno?: unknown;
  readonly code?: unknown;
  readonly sqlState?: unknown;
  readonly fatal?: unknown;
}

/**
 * An error and what it wraps, outermost first: TypeORM's QueryFailedError keeps the driver's error as
 * `driverError`, our own errors keep theirs as `cause` (a cycle ends the walk).
 */
export function* errorChain(err: unknown): Generator<DriverErrorFields> {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur !== null && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    yield cur as DriverErrorFields;
    const e = cur as { driverError?: unknown; cause?: unknown };
    cur = e.driverError ?? e.cause;
  }
}

/** Whether an error thrown by a query is a transient lock conflict that a retry of the whole transaction cures. */
export function isRetryableLockError(err: unknown): boolean {
  for (const e of errorChain(err)) {
    if (typeof e.errno === 'number' && MYSQL_RETRYABLE_ERRNO.has(e.errno)) return true;
    if (e.code === 'ER_LOCK_DEADLOCK' || e.code === 'ER_LOCK_WAIT_TIMEOUT') return true;
    if (typeof e.code === 'string' && e.code.startsWith('SQLITE_BUSY')) return true;
  }
  return false;
}

/**
 * SQLite through TypeORM is one connection shared by every caller, so a transaction left open across
 * `await`s would swallow whatever statement another part of the process issues meanwhile (and lose it on
 * rollback), and TypeORM's own `BEGIN TRANSACTION` (from `save()`) would fail inside it. The gate makes
 * the connection take turns: a write transaction holds it; statements from outside that transaction's
 * async context wait until it is done; TypeORM-managed transactions acquire it too.
 */
interface SqliteGate {
  holder: symbol | 'typeorm' | null;
  waiters: Array<() => void>;
}

const gates = new WeakMap<DataSource, SqliteGate>();
const txContext = new AsyncLocalStorage<symbol>();
const PATCHED = Symbol('cinder-ts.sqlite-gate');

function gateOf(ds: DataSource): SqliteGate {
  let gate = gates.get(ds);
  if (gate === undefined) gates.set(ds, (gate = { holder: null, waiters: [] }));
  return gate;
}

function waitTurn(gate: SqliteGate): Promise<void> {
  return new Promise((resolve) => gate.waiters.push(resolve));
}

async function acquire(gate: SqliteGate, holder: symbol | 'typeorm'): Promise<void> {
  while (gate.holder !== null) await waitTurn(gate);
  gate.holder = holder;
}

function release(gate: SqliteGate): void {
  gate.holder = null;
  for (const wake of gate.waiters.splice(0)) wake();
}

interface PatchableRunner {
  [PATCHED]?: true;
  query(sql: string, params?: unknown[], structured?: boolean): Promise<unknown>;
  startTransaction(isolation?: unknown): Promise<void>;
  commitTransaction(): Promise<void>;
  rollbackTransaction(): Promise<void>;
  transactionDepth: number;
}

/**
 * Installs the SQLite gate on an initialized better-sqlite3 DataSource (idempotent; a no-op elsewhere).
 * {@link createDataSource} does it on initialize; {@link withWriteTransaction} makes sure of it.
 */
export function installSqliteGate(ds: DataSource): void {
  if (!ds.isInitialized || dbFlavor(ds) !== 'sqlite') return;
  const runner = ds.driver.createQueryRunner('master') as unknown as PatchableRunner;
  if (runner[PATCHED]) return;
  runner[PATCHED] = true;
  const gate = gateOf(ds);
  const query = runner.query.bind(runner);
  const start = runner.startTransaction.bind(runner);
  const commit = runner.commitTransaction.bind(runner);
  const rollback = runner.rollbackTransaction.bind(runner);
  runner.query = async (sql, params, structured) => {
    const ctx = txContext.getStore();
    while (gate.holder !== null && gate.holder !== 'typeorm' && gate.holder !== ctx) await waitTurn(gate);
    return query(sql, params, structured);
  };
  runner.startTransaction = async (isolation) => {
    const ctx = txContext.getStore();
    const inOurs = ctx !== undefined && gate.holder === ctx;
    if (runner.transactionDepth === 0 && !inOurs) await acquire(gate, 'typeorm');
    try {
      await start(isolation);
    } catch (err) {
      if (runner.transactionDepth === 0 && gate.holder === 'typeorm') release(gate);
      throw err;
    }
  };
  const finish = async (end: () => Promise<void>): Promise<void> => {
    try {
      await end();
    } finally {
      if (runner.transactionDepth === 0 && gate.holder === 'typeorm') release(gate);
    }
  };
  runner.commitTransaction = () => finish(commit);
  runner.rollbackTransaction = () => finish(rollback);
}

/**
 * Whether a write transaction started here would join one already open in this async context (SQLite
 * only: a nested {@link withWriteTransaction} inside another's `work`). Work that waits for something
 * else to start a transaction must not wait from inside one: that transaction holds the gate.
 */
export function joinsOpenTransaction(ds: DataSource): boolean {
  if (dbFlavor(ds) !== 'sqlite') return false;
  const ctx = txContext.getStore();
  return ctx !== undefined && gateOf(ds).holder === ctx;
}

/** Runs `fn` outside any write transaction's async context (for work started now that outlives the caller). */
export function outsideTransaction<T>(fn: () => T): T {
  return txContext.exit(fn);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` in one write transaction and commits it; rolls back and rethrows on error.
 * Deadlocks, lock-wait timeouts and SQLITE_BUSY roll back and re-run `work` from the start with
 * bounded, jittered exponential backoff, so `work` must be safe to re-run (do all its writes inside).
 *
 * - MySQL/MariaDB: a pooled connection, `START TRANSACTION` … `COMMIT` at the server's isolation level.
 * - SQLite: `BEGIN IMMEDIATE` (the write lock up front, so two processes never deadlock upgrading a
 *   read lock) behind the in-process gate ({@link installSqliteGate}): TypeORM's better-sqlite3 driver
 *   has a single connection, so transactions take turns and other statements wait for them.
 *   A nested call inside `work` joins the open transaction.
 *
 * @throws TransactionRetryExhaustedError when every attempt hit a lock conflict.
 */
export async function withWriteTransaction<T>(
  ds: DataSource,
  work: (q: QueryRunner) => Promise<T>,
  opts: WriteTransactionOptions = {},
): Promise<T> {
  const sqlite = dbFlavor(ds) === 'sqlite';
  return retryOnLockConflict(() => (sqlite ? runSqlite(ds, work) : runMysql(ds, work)), opts);
}

/**
 * Runs `attempt` and, when it fails with a deadlock, a lock-wait timeout or SQLITE_BUSY
 * ({@link isRetryableLockError}), runs it again with the backoff of {@link withWriteTransaction}. For a
 * single autocommit statement (one statement is its own transaction) or a whole transaction; either
 * way `attempt` must be safe to re-run.
 *
 * @throws TransactionRetryExhaustedError when every attempt hit a lock conflict.
 */
export async function retryOnLockConflict<T>(
  attempt: () => Promise<T>,
  opts: WriteTransactionOptions = {},
): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? 20;
  const baseDelayMs = opts.baseDelayMs ?? 4;
  let lastError: unknown;
  for (let n = 1; n <= maxAttempts; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isRetryableLockError(err)) throw err;
      lastError = err;
      if (n < maxAttempts) {
        opts.onRetry?.(err, n);
        await sleep(retryDelayMs(n, baseDelayMs));
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
  installSqliteGate(ds);
  const gate = gateOf(ds);
  const q = ds.createQueryRunner('master');
  const ctx = txContext.getStore();
  if (ctx !== undefined && gate.holder === ctx) return work(q); // nested: join the open transaction
  const token = Symbol('write-transaction');
  await acquire(gate, token);
  try {
    return await txContext.run(token, async () => {
      await q.query('BEGIN IMMEDIATE');
      try {
        const result = await work(q);
        await q.query('COMMIT');
        return result;
      } catch (err) {
        await q.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  } finally {
    release(gate);
  }
}
