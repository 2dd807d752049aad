import { v7 as uuidv7 } from 'uuid';
import type { DataSource, QueryRunner } from 'typeorm';
import { dbDate, dbFlavor, type DbFlavor } from '../db/sql';
import {
  errorChain,
  joinsOpenTransaction,
  outsideTransaction,
  retryOnLockConflict,
  withWriteTransaction,
  type WriteTransactionOptions,
} from '../db/transaction';
import { KeyedBatcher, type Batch } from './batcher';
import {
  InvalidQuotaValueError,
  OverQuotaError,
  QuotaLimitBelowUsageError,
  QuotaVolumeTypeNotFoundError,
  UnknownQuotaResourceError,
  type ResourceUsage,
} from './errors';
import { compound, inTransactionOnly, quotaSql, placeholders } from './quota-sql';
import { createMissingUsageRows } from './usage-rows';
import {
  BASE_RESOURCES,
  FALLBACK_DEFAULTS,
  PER_TYPE_DEFAULT,
  isBaseResource,
  perTypeName,
  perTypeResources,
  validateDeltas,
  validateLimit,
  volumeTypeDeltas,
  type BaseResource,
} from './resources';

/** Whose quota: the request context's project (a structural subset of any request context). */
export interface QuotaContext {
  projectId: string;
}

export interface ReserveOptions {
  /** When the reservation expires: a Date, or seconds from now. @default QuotaEngineOptions.reservationExpireSeconds */
  expire?: Date | number;
  /** Reserve against this project instead of the context's (Cinder's `project_id=`). */
  projectId?: string;
  /** Also reserve the type's `volumes_<type>` / `gigabytes_<type>` / `snapshots_<type>` (Cinder's add_volume_type_opts). */
  volumeTypeId?: string;
  /**
   * The size of the volume being reserved for: first refuse it, as {@link QuotaEngine.checkPerVolumeSize}
   * does, when it is larger than the project's `per_volume_gigabytes`. That limit is read with the others,
   * in the same statement (a create then reads limits once).
   */
  perVolumeGigabytes?: number;
}

export interface SettleOptions {
  /** The project the reservations belong to, when not the context's. Ids of other projects are still found. */
  projectId?: string;
}

export interface QuotaEngineOptions {
  /** Lifetime of a reservation that is neither committed nor rolled back. @default 86400 (Cinder's reservation_expire) */
  reservationExpireSeconds?: number;
  /** Deadlock / lock-wait retry policy of every write transaction. */
  retry?: WriteTransactionOptions;
  /** Clock, for tests. @default () => new Date() */
  now?: () => Date;
  /**
   * Limits for base resources the `default` quota class has no row for (Cinder's `quota_volumes`,
   * `quota_gigabytes`… options). The migrations seed the class, so these apply only once a row is removed.
   * @default FALLBACK_DEFAULTS
   */
  defaults?: Partial<Record<BaseResource, number>>;
}

/** A limit together with the usage it governs. */
export interface QuotaUsageView extends ResourceUsage {
  limit: number;
}

interface UsageRow {
  id: number;
  resource: string;
  in_use: number;
  reserved: number;
}

interface ReservationRow {
  id: number;
  usage_id: number;
  delta: number;
}

/** A row of {@link quotaSql.limits}: src 1 the project's own limit, 0 the default class's. */
interface LimitRow {
  resource: string;
  hard_limit: number;
  src: number;
}

/** A reservation as the settle read returns it: with its uuid, to hand it to the caller that asked. */
interface SettleRow extends ReservationRow {
  uuid: string;
}

/** One reserve of a project, waiting for its project's next batch ({@link QuotaEngine.runBatch}). */
interface ReserveOp {
  readonly kind: 'reserve';
  readonly items: ReadonlyArray<readonly [string, number]>;
  /** The size of the volume reserved for, refused first when above `per_volume_gigabytes`. */
  readonly size: number | undefined;
  readonly expire: Date;
  readonly done: (outcome: OpOutcome) => void;
}

/** One commit or rollback of a project's reservations, waiting like {@link ReserveOp}. */
interface SettleOp {
  readonly kind: 'settle';
  readonly ids: readonly string[];
  readonly commit: boolean;
  readonly done: (outcome: OpOutcome) => void;
}

type QuotaOp = ReserveOp | SettleOp;

/** A batch applied to what its reads returned: each operation's outcome and the writes that carry them out. */
interface BatchPlan {
  readonly outcomes: OpOutcome[];
  readonly writes: Array<[string, unknown[]]>;
  /** The uuids of the reservations it inserts. */
  readonly inserted: readonly string[];
  /** The ids (primary keys) of the reservations it deletes. */
  readonly deleted: readonly number[];
}

/** What one operation of a batch came to: reserved ids, missing usage rows, settled count, or an error. */
type OpOutcome =
  | { readonly ids: string[] }
  | { readonly missing: string[] }
  | { readonly applied: number }
  | { readonly error: unknown };

/**
 * A batch takes operations while their reservation rows (reserved or settled) fit: bounds the
 * statements' parameter lists (7 per inserted reservation) and what one failure can take down.
 */
const MAX_BATCH_ROWS = 256;

const PER_VOLUME = 'per_volume_gigabytes';

/** Cinder's per-volume size check: OverQuotaError on `per_volume_gigabytes` when `sizeGb` is above `limit` (>= 0). */
function refuseOversized(projectId: string, sizeGb: number, limit: number): void {
  if (limit >= 0 && sizeGb > limit) {
    throw new OverQuotaError(projectId, [PER_VOLUME], { [PER_VOLUME]: limit }, {}, { [PER_VOLUME]: sizeGb });
  }
}

/**
 * Cinder's quota engine (DbQuotaDriver + `quota_reserve` / `reservation_commit` / `reservation_rollback` /
 * `reservation_expire`) on TypeORM, for MySQL/MariaDB and SQLite.
 *
 * Every write runs in one transaction that first locks all usage rows of the project with one
 * statement in one order ({@link quotaSql.lockUsages}); deadlocks and lock-wait timeouts are retried
 * inside, so callers only ever see domain errors. Reserves, commits and rollbacks of one project that
 * arrive while one of its transactions runs wait for it and then share the next one (group commit, see
 * runBatch): each is applied as if it ran alone, in arrival order. Limits: the project's own (`quotas`), else the
 * `default` quota class, else Cinder's defaults; -1 is unlimited.
 */
export class QuotaEngine {
  private readonly flavor: DbFlavor;
  /** Whether writes of a transaction may be pipelined (see inOrder): the server knows `@@in_transaction`. */
  private pipelining: boolean | undefined;
  /** Whether the server runs compound statements (`BEGIN NOT ATOMIC`, MariaDB): batches then take two round trips. */
  private compoundStatements: boolean | undefined;
  private readonly expireSeconds: number;
  private readonly now: () => Date;
  private readonly fallback: Readonly<Record<BaseResource, number>>;
  /** Group commit of each project's reserves and settles ({@link runBatch}). */
  private readonly batcher = new KeyedBatcher<QuotaOp>(
    (batch) => this.runBatch(batch),
    (op) => (op.kind === 'reserve' ? op.items.length : op.ids.length),
    MAX_BATCH_ROWS,
    // The loop serves later callers too: it must not carry the first one's transaction context.
    (drive) => void outsideTransaction(drive),
  );

  constructor(
    private readonly ds: DataSource,
    private readonly options: QuotaEngineOptions = {},
  ) {
    this.flavor = dbFlavor(ds);
    this.expireSeconds = options.reservationExpireSeconds ?? 86400;
    this.now = options.now ?? (() => new Date());
    this.fallback = { ...FALLBACK_DEFAULTS, ...options.defaults };
  }

  /**
   * Reserves `deltas` (resource → signed amount) for the project, all or nothing.
   * Checks `in_use + reserved + delta <= limit` for every positive delta with a limit >= 0, then inserts
   * one reservation per non-zero delta and adds the positive deltas to `reserved`. Negative deltas are
   * applied to `in_use` at commit.
   *
   * @returns the reservation ids, to pass to {@link commit} or {@link rollback}.
   * @throws OverQuotaError (nothing reserved), UnknownQuotaResourceError, InvalidQuotaValueError,
   *   QuotaVolumeTypeNotFoundError.
   * @example await quotas.reserve(ctx, { volumes: 1, gigabytes: 10 }, { volumeTypeId })
   */
  async reserve(
    ctx: QuotaContext,
    deltas: Readonly<Record<string, number>>,
    opts: ReserveOptions = {},
  ): Promise<string[]> {
    const projectId = this.projectOf(ctx, opts.projectId);
    let wanted = deltas;
    if (opts.volumeTypeId !== undefined) {
      wanted = volumeTypeDeltas(await this.volumeTypeName(opts.volumeTypeId), deltas);
    }
    const items = validateDeltas(wanted);
    const size = opts.perVolumeGigabytes;
    if (items.length === 0) {
      if (size !== undefined) await this.checkPerVolumeSize(projectId, size);
      return [];
    }
    const expire = this.expiryOf(opts.expire);

    for (let round = 0; ; round++) {
      // The limits (per_volume_gigabytes too) are read in the batch's transaction, once for all of it.
      const outcome = await this.enqueue(projectId, (done) => ({
        kind: 'reserve',
        items,
        size,
        expire,
        done,
      }));
      if ('error' in outcome) throw outcome.error;
      if ('ids' in outcome) return outcome.ids;
      if (!('missing' in outcome)) throw new Error('quota batch answered a reserve with a settle outcome');
      if (round >= 3)
        throw new Error(`quota usage rows for ${outcome.missing.join(', ')} could not be created`);
      await this.createUsageRows(projectId, outcome.missing);
    }
  }

  /**
   * Commits reservations: `reserved -= delta` (positive deltas), `in_use += delta`, reservation deleted.
   * Idempotent: ids that no longer exist (already committed, rolled back or expired) are ignored.
   * @returns how many reservations were applied by this call.
   */
  commit(ctx: QuotaContext | null, ids: readonly string[], opts: SettleOptions = {}): Promise<number> {
    return this.settle(ctx, ids, opts, true);
  }

  /**
   * Rolls reservations back: `reserved -= delta` for positive deltas, reservation deleted.
   * Idempotent like {@link commit}.
   * @returns how many reservations were rolled back by this call.
   */
  rollback(ctx: QuotaContext | null, ids: readonly string[], opts: SettleOptions = {}): Promise<number> {
    return this.settle(ctx, ids, opts, false);
  }

  /**
   * Rolls back every reservation whose expiry has passed (the periodic task that stops a crash between
   * reserve and commit from leaking quota forever).
   * @returns how many reservations expired.
   */
  async expire(): Promise<number> {
    const now = this.now();
    const projects: Array<{ project_id: string }> = await this.ds.query(
      'SELECT DISTINCT project_id FROM reservations WHERE expire < ?',
      [dbDate(this.ds, now)],
    );
    let total = 0;
    for (const { project_id: projectId } of projects) {
      total += await this.tx(async (q) => {
        await this.lockUsages(q, projectId);
        const rows: ReservationRow[] = await q.query(quotaSql.selectExpired(this.flavor), [
          projectId,
          dbDate(this.ds, now),
        ]);
        await this.applySettlement(q, rows, false);
        return rows.length;
      });
    }
    return total;
  }

  /**
   * A project's limits, every resource in Cinder's order, per-type resources for every volume type.
   * With `usages: true` each value is `{ limit, inUse, reserved }`.
   */
  getProjectQuotas(projectId: string): Promise<Record<string, number>>;
  getProjectQuotas(projectId: string, opts: { usages: true }): Promise<Record<string, QuotaUsageView>>;
  getProjectQuotas(projectId: string, opts: { usages: false }): Promise<Record<string, number>>;
  async getProjectQuotas(
    projectId: string,
    opts: { usages?: boolean } = {},
  ): Promise<Record<string, number> | Record<string, QuotaUsageView>> {
    requireProject(projectId);
    const [defaults, own] = await Promise.all([
      this.getDefaults(),
      this.ds.query('SELECT resource, hard_limit FROM quotas WHERE project_id = ?', [projectId]) as Promise<
        Array<{ resource: string; hard_limit: number }>
      >,
    ]);
    const limits: Record<string, number> = { ...defaults };
    for (const row of own) if (row.resource in limits) limits[row.resource] = Number(row.hard_limit);
    if (opts.usages !== true) return limits;
    const rows: UsageRow[] = await this.ds.query(
      'SELECT id, resource, in_use, reserved FROM quota_usages WHERE project_id = ?',
      [projectId],
    );
    const byResource = new Map(rows.map((r) => [r.resource, r]));
    const out: Record<string, QuotaUsageView> = {};
    for (const [resource, limit] of Object.entries(limits)) {
      const row = byResource.get(resource);
      out[resource] = { limit, inUse: Number(row?.in_use ?? 0), reserved: Number(row?.reserved ?? 0) };
    }
    return out;
  }

  /** The limits every project starts with: the `default` quota class, per-type resources included. */
  async getDefaults(): Promise<Record<string, number>> {
    const [classRows, types] = await Promise.all([
      this.ds.query("SELECT resource, hard_limit FROM quota_classes WHERE class_name = 'default'") as Promise<
        Array<{ resource: string; hard_limit: number }>
      >,
      this.volumeTypeNames(),
    ]);
    const cls = new Map(classRows.map((r) => [r.resource, Number(r.hard_limit)]));
    const out: Record<string, number> = {};
    for (const resource of BASE_RESOURCES) {
      if (resource === 'groups') {
        for (const type of types)
          for (const r of perTypeResources(type)) out[r] = cls.get(r) ?? PER_TYPE_DEFAULT;
      }
      out[resource] = cls.get(resource) ?? this.fallback[resource];
    }
    return out;
  }

  /**
   * Sets a project's own limits (a partial set; other resources keep theirs). Refuses a limit below
   * the current `in_use + reserved` (except -1 and `per_volume_gigabytes`), checked under the usage lock.
   * @returns the project's full limits afterwards.
   * @throws UnknownQuotaResourceError, InvalidQuotaValueError, QuotaLimitBelowUsageError (nothing written).
   */
  async setLimits(
    projectId: string,
    limits: Readonly<Record<string, number>>,
    opts: { skipUsageCheck?: boolean } = {},
  ): Promise<Record<string, number>> {
    requireProject(projectId);
    const entries = await this.validatedLimits(limits);
    if (entries.length > 0) {
      await this.tx(async (q) => {
        const usages = await this.lockUsages(q, projectId);
        if (opts.skipUsageCheck !== true) {
          for (const [resource, limit] of entries) {
            const usage = usages.get(resource);
            if (limit === -1 || resource === 'per_volume_gigabytes' || usage === undefined) continue;
            const used = usage.in_use + usage.reserved;
            if (limit < used) throw new QuotaLimitBelowUsageError(resource, limit, used);
          }
        }
        await this.upsertLimits(q, 'quotas', 'project_id', projectId, entries);
      });
    }
    return this.getProjectQuotas(projectId);
  }

  /** Drops a project's own limits so it falls back to the defaults (Cinder's DELETE os-quota-sets). */
  async resetLimits(projectId: string): Promise<void> {
    requireProject(projectId);
    await this.ds.query('DELETE FROM quotas WHERE project_id = ?', [projectId]);
  }

  /** Limits of a quota class (`default` is the one Cinder uses), per-type resources included. */
  async getClassQuotas(className = 'default'): Promise<Record<string, number>> {
    if (className === 'default') return this.getDefaults();
    const rows: Array<{ resource: string; hard_limit: number }> = await this.ds.query(
      'SELECT resource, hard_limit FROM quota_classes WHERE class_name = ?',
      [className],
    );
    const defaults = await this.getDefaults();
    for (const row of rows) if (row.resource in defaults) defaults[row.resource] = Number(row.hard_limit);
    return defaults;
  }

  /** Sets limits of a quota class (`default` changes every project that has no limit of its own). */
  async setClassLimits(
    className: string,
    limits: Readonly<Record<string, number>>,
  ): Promise<Record<string, number>> {
    if (typeof className !== 'string' || className === '')
      throw new InvalidQuotaValueError('class_name', className, 'a non-empty string');
    const entries = await this.validatedLimits(limits);
    if (entries.length > 0) {
      await this.tx((q) => this.upsertLimits(q, 'quota_classes', 'class_name', className, entries));
    }
    return this.getClassQuotas(className);
  }

  /**
   * Cinder's `limit_check` for `per_volume_gigabytes`: a single volume may not be larger than it.
   * @throws OverQuotaError with `overs: ['per_volume_gigabytes']`.
   */
  async checkPerVolumeSize(projectId: string, sizeGb: number): Promise<void> {
    requireProject(projectId);
    const limits = await this.limitsFor(projectId, [PER_VOLUME]);
    refuseOversized(projectId, sizeGb, limits[PER_VOLUME] ?? -1);
  }

  // ---------------------------------------------------------------------------------------------

  private async settle(
    ctx: QuotaContext | null,
    ids: readonly string[],
    opts: SettleOptions,
    commit: boolean,
  ): Promise<number> {
    if (!Array.isArray(ids))
      throw new InvalidQuotaValueError('reservations', ids, 'an array of reservation ids');
    const unique = [...new Set(ids)];
    if (unique.length === 0) return 0;
    for (const id of unique) {
      if (typeof id !== 'string')
        throw new InvalidQuotaValueError('reservations', id, 'a reservation id string');
    }
    const hint = opts.projectId ?? ctx?.projectId;
    let done = 0;
    const pending = unique;
    if (hint !== undefined) {
      const applied = await this.settleProject(hint, pending, commit);
      done += applied;
      if (applied === pending.length) return done;
    }
    // Ids of another project than the hint (or no hint): find their projects and settle each under its own lock.
    const rows: Array<{ project_id: string }> = await this.ds.query(
      `SELECT DISTINCT project_id FROM reservations WHERE uuid IN (${placeholders(pending.length)})`,
      pending,
    );
    for (const { project_id: projectId } of rows) {
      if (projectId === hint) continue;
      done += await this.settleProject(projectId, pending, commit);
    }
    return done;
  }

  private async settleProject(projectId: string, ids: readonly string[], commit: boolean): Promise<number> {
    const outcome = await this.enqueue(projectId, (done) => ({ kind: 'settle', ids, commit, done }));
    if ('error' in outcome) throw outcome.error;
    if (!('applied' in outcome)) throw new Error('quota batch answered a settle with a reserve outcome');
    return outcome.applied;
  }

  /**
   * Hands one operation to its project's batcher and waits for its outcome. On SQLite a caller inside
   * a write transaction (its own gate) runs alone at once: a batch waiting for the gate would wait for
   * this very caller.
   */
  private enqueue(projectId: string, make: (done: (o: OpOutcome) => void) => QuotaOp): Promise<OpOutcome> {
    return new Promise((resolve) => {
      const op = make(resolve);
      if (joinsOpenTransaction(this.ds)) void this.runBatch({ key: projectId, ops: [op] });
      else this.batcher.add(projectId, op);
    });
  }

  /**
   * Runs a batch of one project's reserves and settles (group commit) in ONE write transaction: the
   * usage rows locked once (with the settles' reservations read behind the lock), then every operation
   * applied in arrival order to the locked usages as if each ran alone in that order (a reserve is
   * checked against the usage the operations before it left, and refused on its own), then one insert
   * of the new reservations, one update of the usage rows, one delete of the settled reservations, one
   * COMMIT. Concurrent creates of one project thus share the lock's turns instead of queueing for it
   * twice each (bench:api: every create reserves and commits under the same project's rows).
   * Never rejects: a failed transaction (after its lock retries) fails every operation of the batch,
   * and none of them was applied.
   */
  private async runBatch({ key: projectId, ops }: Batch<QuotaOp>): Promise<void> {
    let outcomes: OpOutcome[];
    try {
      outcomes = await this.batchTransaction(projectId, ops);
    } catch (err) {
      outcomes = ops.map(() => ({ error: err }));
    }
    ops.forEach((op, i) => op.done(outcomes[i]!));
  }

  /**
   * One batch's transaction, retried whole on deadlocks and lock-wait timeouts. On MariaDB it takes two
   * round trips: START TRANSACTION and the reads in one compound statement, then the writes and COMMIT
   * in another (see {@link compound}); elsewhere one statement at a time (pipelined by inOrder).
   */
  private async batchTransaction(projectId: string, ops: readonly QuotaOp[]): Promise<OpOutcome[]> {
    if (this.flavor !== 'mysql' || this.compoundStatements === false) {
      return this.tx(async (q) => {
        const reads = this.batchReads(projectId, ops);
        const plan = this.planBatch(projectId, ops, reads, await this.inOrder(q, reads.statements));
        await this.inOrder(q, plan.writes);
        return plan.outcomes;
      });
    }
    return retryOnLockConflict(async () => {
      const q = this.ds.createQueryRunner('master');
      let plan: BatchPlan | undefined;
      let committing = false;
      try {
        if (this.compoundStatements === undefined) {
          // Asked once, outside any transaction, on the connection the batch is about to use (see inOrder).
          // A server without them (MySQL) answers a syntax error; any other error is the batch's.
          this.compoundStatements = await q.query(...compound([['DO 0', []]], false)).then(
            () => true,
            (err: unknown) => {
              if ((err as { driverError?: { errno?: unknown } }).driverError?.errno === 1064) return false;
              throw err;
            },
          );
          if (!this.compoundStatements) {
            await q.release();
            return this.batchTransaction(projectId, ops);
          }
        }
        const reads = this.batchReads(projectId, ops);
        const answers = (await q.query(
          ...compound([['START TRANSACTION', []], ...reads.statements], true),
        )) as unknown[];
        plan = this.planBatch(projectId, ops, reads, answers);
        // The writes and the COMMIT in one statement: if one of them fails, the handler rolls the whole
        // transaction back before the error is reported, so nothing after it (COMMIT above all) runs.
        committing = true;
        await q.query(...compound([...plan.writes, ['COMMIT', []]], true));
        return plan.outcomes;
      } catch (err) {
        await q.query('ROLLBACK').catch(() => undefined);
        if (!committing || plan === undefined || !outcomeUnknown(err)) throw err;
        // The connection died with the COMMIT sent: the server may have run it. Its callers must get
        // what the database holds (a reserve answered with an error would hold its quota for a day; a
        // commit answered with one makes its caller undo a create whose usage stays counted).
        if (!q.isReleased) await q.release().catch(() => undefined);
        if (await this.batchCommitted(projectId, plan)) return plan.outcomes;
        throw err;
      } finally {
        if (!q.isReleased) await q.release();
      }
    }, this.options.retry);
  }

  /**
   * Whether a batch whose connection was lost after its writes and COMMIT were sent did commit. The
   * usage lock waits for its transaction if the server still runs it; then the reservations tell:
   * a new one it inserted exists (no caller has its id yet, so none settled it), or the ones it deleted
   * are gone. A batch that writes nothing has nothing to lose. If the database cannot be asked, false.
   */
  private async batchCommitted(projectId: string, plan: BatchPlan): Promise<boolean> {
    if (plan.inserted.length === 0 && plan.deleted.length === 0) return true;
    try {
      return await this.tx(async (q) => {
        await this.lockUsages(q, projectId);
        if (plan.inserted.length > 0) {
          const rows: Array<{ n: number }> = await q.query(
            'SELECT COUNT(*) AS n FROM reservations WHERE project_id = ? AND uuid = ?',
            [projectId, plan.inserted[0]],
          );
          return Number(rows[0]?.n ?? 0) > 0;
        }
        const rows: Array<{ n: number }> = await q.query(
          `SELECT COUNT(*) AS n FROM reservations WHERE id IN (${placeholders(plan.deleted.length)})`,
          [...plan.deleted],
        );
        return Number(rows[0]?.n ?? 0) === 0;
      });
    } catch {
      return false;
    }
  }

  /** The statements that open a batch: the usage lock, then the limits and reservations it needs. */
  private batchReads(
    projectId: string,
    ops: readonly QuotaOp[],
  ): { statements: Array<[string, unknown[]]>; resources: string[]; settleIds: string[] } {
    const settleIds = [...new Set(ops.flatMap((op) => (op.kind === 'settle' ? op.ids : [])))];
    const limited = new Set<string>();
    for (const op of ops) {
      if (op.kind !== 'reserve') continue;
      for (const [resource] of op.items) limited.add(resource);
      if (op.size !== undefined) limited.add(PER_VOLUME);
    }
    const resources = [...limited].sort();
    // The limits and the reservations are read under the usage lock, queued behind it on the same
    // connection (one round trip on MariaDB): plain reads whose snapshot is taken after the lock.
    const statements: Array<[string, unknown[]]> = [[quotaSql.lockUsages(this.flavor), [projectId]]];
    if (resources.length > 0)
      statements.push([quotaSql.limits(resources.length), [projectId, ...resources, ...resources]]);
    if (settleIds.length > 0) {
      statements.push([
        quotaSql.selectReservations(this.flavor, settleIds.length),
        [projectId, ...settleIds],
      ]);
    }
    return { statements, resources, settleIds };
  }

  /**
   * Applies a batch's operations, in order, to what its reads returned (`answers`: one result per read,
   * after the START TRANSACTION's when there is one). @returns each operation's outcome and the writes.
   */
  private planBatch(
    projectId: string,
    ops: readonly QuotaOp[],
    reads: { statements: ReadonlyArray<[string, unknown[]]>; resources: string[]; settleIds: string[] },
    answers: readonly unknown[],
  ): BatchPlan {
    const { resources, settleIds } = reads;
    // A compound statement answers with one result set per SELECT, then its own OK packet.
    const results = (Array.isArray(answers[0]) ? answers.filter((a) => Array.isArray(a)) : [answers]).slice(
      0,
      reads.statements.length,
    );
    const usages = usageMap(results[0] as UsageRow[]);
    const limits = resources.length > 0 ? this.limitsFrom(results[1] as LimitRow[], resources) : {};
    const found = settleIds.length > 0 ? (results[results.length - 1] as SettleRow[]) : [];
    const usageById = new Map([...usages.values()].map((u) => [u.id, u]));
    // Each settle takes the rows its own ids match as the database matched them (see reservationKey).
    const key = this.flavor === 'mysql' ? reservationKey : (id: string): string => id;
    const reservations = new Map(found.map((r) => [key(String(r.uuid)), r]));
    const now = dbDate(this.ds, this.now());
    /** Per usage row id: what this batch adds to `reserved` and to `in_use` (negative: takes away). */
    const changes = new Map<number, { reserved: number; inUse: number }>();
    const change = (usageId: number): { reserved: number; inUse: number } => {
      let c = changes.get(usageId);
      if (c === undefined) changes.set(usageId, (c = { reserved: 0, inUse: 0 }));
      return c;
    };
    const inserted: unknown[] = [];
    const insertedIds: string[] = [];
    const deleted: number[] = [];

    const outcomes = ops.map((op): OpOutcome => {
      if (op.kind === 'settle') {
        let applied = 0;
        for (const uuid of new Set(op.ids.map(key))) {
          const row = reservations.get(uuid);
          if (row === undefined) continue; // unknown, settled already, or by an earlier op of this batch
          reservations.delete(uuid);
          applied++;
          const delta = Number(row.delta);
          const usageId = Number(row.usage_id);
          const c = change(usageId);
          const usage = usageById.get(usageId);
          if (delta > 0) {
            c.reserved -= delta;
            if (usage !== undefined) usage.reserved -= delta;
          }
          if (op.commit) {
            c.inUse += delta;
            if (usage !== undefined) usage.in_use += delta;
          }
          deleted.push(Number(row.id));
        }
        return { applied };
      }
      if (op.size !== undefined) {
        try {
          refuseOversized(projectId, op.size, limits[PER_VOLUME] ?? -1);
        } catch (err) {
          return { error: err };
        }
      }
      const missing = op.items.map(([r]) => r).filter((r) => !usages.has(r));
      if (missing.length > 0) return { missing };
      const overs: string[] = [];
      for (const [resource, delta] of op.items) {
        const limit = limits[resource] ?? -1;
        const usage = usages.get(resource)!;
        if (delta > 0 && limit >= 0 && usage.in_use + usage.reserved + delta > limit) overs.push(resource);
      }
      if (overs.length > 0) {
        return {
          error: new OverQuotaError(
            projectId,
            overs,
            pick(
              limits,
              op.items.map(([r]) => r),
            ),
            usageViews(usages),
            Object.fromEntries(op.items),
          ),
        };
      }
      const expireAt = dbDate(this.ds, op.expire);
      const ids = op.items.map(() => uuidv7());
      insertedIds.push(...ids);
      op.items.forEach(([resource, delta], i) => {
        const usage = usages.get(resource)!;
        inserted.push(ids[i], usage.id, projectId, resource, delta, expireAt, now);
        if (delta > 0) {
          usage.reserved += delta;
          change(usage.id).reserved += delta;
        }
      });
      return { ids };
    });

    const statements: Array<[string, unknown[]]> = [];
    if (insertedIds.length > 0) statements.push([quotaSql.insertReservations(insertedIds.length), inserted]);
    const usageIds = [...changes.keys()].sort((a, b) => a - b);
    if (usageIds.length > 0) {
      const params: unknown[] = [];
      if (deleted.length === 0) {
        // Reserves only: the reserve's own statement (reserved += delta).
        for (const id of usageIds) params.push(id, changes.get(id)!.reserved);
        params.push(now, ...usageIds);
        statements.push([quotaSql.addReserved(usageIds.length, this.flavor), params]);
      } else {
        for (const id of usageIds) params.push(id, -changes.get(id)!.reserved);
        for (const id of usageIds) params.push(id, changes.get(id)!.inUse);
        params.push(now, ...usageIds);
        statements.push([quotaSql.settleUsages(usageIds.length, this.flavor), params]);
      }
    }
    if (deleted.length > 0)
      statements.push([quotaSql.deleteReservations(deleted.length, this.flavor), deleted]);
    return { outcomes, writes: statements, inserted: insertedIds, deleted };
  }

  private async applySettlement(
    q: QueryRunner,
    rows: readonly ReservationRow[],
    commit: boolean,
  ): Promise<void> {
    if (rows.length === 0) return;
    const perUsage = new Map<number, { reservedDec: number; inUseInc: number }>();
    for (const row of rows) {
      const delta = Number(row.delta);
      const acc = perUsage.get(Number(row.usage_id)) ?? { reservedDec: 0, inUseInc: 0 };
      if (delta > 0) acc.reservedDec += delta;
      if (commit) acc.inUseInc += delta;
      perUsage.set(Number(row.usage_id), acc);
    }
    const usageIds = [...perUsage.keys()].sort((a, b) => a - b);
    const params: unknown[] = [];
    for (const id of usageIds) params.push(id, perUsage.get(id)!.reservedDec);
    for (const id of usageIds) params.push(id, perUsage.get(id)!.inUseInc);
    params.push(dbDate(this.ds, this.now()), ...usageIds);
    await this.inOrder(q, [
      [quotaSql.settleUsages(usageIds.length, this.flavor), params],
      [quotaSql.deleteReservations(rows.length, this.flavor), rows.map((r) => Number(r.id))],
    ]);
  }

  /**
   * Runs statements of one transaction in order (expire's settlement, and batches where the server has
   * no compound statements; MariaDB's batches use {@link compound} instead). On MariaDB they are sent back to back, each without
   * waiting for the previous answer: mysql2 queues them on the connection and starts each one from the
   * previous one's reply, with no turn of this process's event loop in between. Under load such a turn
   * adds to how long the project's usage rows stay locked, and every create of a project waits for that
   * lock twice (bench:api, c8, three A/B pairs: lock held 3.1-4.1 → 2.4-3.4 ms per transaction). Every write after the first is guarded by
   * {@link inTransactionOnly}, so a deadlock of an earlier statement (which rolls the whole transaction
   * back) cannot leave it committed on its own; other errors leave the transaction open and the caller
   * rolls it back. Elsewhere (SQLite, MySQL without `@@in_transaction`) they run one after the other.
   * @returns each statement's result; throws the first error once every statement has finished.
   */
  private async inOrder(
    q: QueryRunner,
    statements: ReadonlyArray<readonly [string, unknown[]]>,
  ): Promise<unknown[]> {
    if (statements.length > 1 && this.pipelining === undefined && this.flavor === 'mysql') {
      // Asked once, on this transaction's own connection: another one may never come free (every pooled
      // connection can be inside a transaction waiting for the same answer). An unknown variable is a
      // statement error that leaves the transaction as it was.
      this.pipelining = await q.query('SELECT @@in_transaction AS t').then(
        () => true,
        () => false,
      );
    }
    if (statements.length < 2 || this.pipelining !== true) {
      const out: unknown[] = [];
      for (const [sql, params] of statements) out.push(await q.query(sql, params));
      return out;
    }
    const sent = statements.map(([sql, params], i) =>
      q.query(i > 0 && !/^\s*SELECT/i.test(sql) ? inTransactionOnly(sql) : sql, params),
    );
    const settled = await Promise.allSettled(sent);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value);
  }

  private async lockUsages(q: QueryRunner, projectId: string): Promise<Map<string, UsageRow>> {
    return usageMap(await q.query(quotaSql.lockUsages(this.flavor), [projectId]));
  }

  /** Outside any transaction: first use of a resource by a project. Concurrent callers converge on one row. */
  private createUsageRows(projectId: string, resources: readonly string[]): Promise<void> {
    return createMissingUsageRows(this.ds, projectId, resources, this.now(), this.options.retry);
  }

  private async limitsFor(projectId: string, resources: readonly string[]): Promise<Record<string, number>> {
    const rows: LimitRow[] = await this.ds.query(quotaSql.limits(resources.length), [
      projectId,
      ...resources,
      ...resources,
    ]);
    return this.limitsFrom(rows, resources);
  }

  /** The limits of `resources` from {@link quotaSql.limits}' rows: the project's own, else the class's, else the fallback. */
  private limitsFrom(rows: readonly LimitRow[], resources: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const resource of resources) {
      out[resource] = isBaseResource(resource) ? this.fallback[resource] : PER_TYPE_DEFAULT;
    }
    for (const row of rows) if (Number(row.src) === 0) out[row.resource] = Number(row.hard_limit);
    for (const row of rows) if (Number(row.src) === 1) out[row.resource] = Number(row.hard_limit);
    return out;
  }

  private async validatedLimits(limits: Readonly<Record<string, number>>): Promise<Array<[string, number]>> {
    if (limits === null || typeof limits !== 'object')
      throw new InvalidQuotaValueError('quota_set', limits, 'an object');
    const types = new Set(await this.volumeTypeNames());
    const unknown = Object.keys(limits).filter((r) => {
      if (isBaseResource(r)) return false;
      const type = perTypeName(r);
      return type === null || !types.has(type);
    });
    if (unknown.length > 0) throw new UnknownQuotaResourceError(unknown.sort());
    return Object.entries(limits)
      .map(([r, v]): [string, number] => [r, validateLimit(r, v)])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private async upsertLimits(
    q: QueryRunner,
    table: 'quotas' | 'quota_classes',
    keyColumn: 'project_id' | 'class_name',
    key: string,
    entries: ReadonlyArray<[string, number]>,
  ): Promise<void> {
    const now = dbDate(this.ds, this.now());
    const values = entries.map(() => '(?, ?, ?, ?)').join(', ');
    const params = entries.flatMap(([resource, limit]) => [key, resource, limit, now]);
    const conflict =
      this.flavor === 'mysql'
        ? ' ON DUPLICATE KEY UPDATE hard_limit = VALUES(hard_limit), updated_at = VALUES(created_at)'
        : ` ON CONFLICT (${keyColumn}, resource) DO UPDATE SET hard_limit = excluded.hard_limit, updated_at = excluded.created_at`;
    await q.query(
      `INSERT INTO ${table} (${keyColumn}, resource, hard_limit, created_at) VALUES ${values}${conflict}`,
      params,
    );
  }

  private async volumeTypeName(volumeTypeId: string): Promise<string> {
    const rows: Array<{ name: string }> = await this.ds.query(
      'SELECT name FROM volume_types WHERE id = ? AND deleted = ?',
      [volumeTypeId, 0],
    );
    const row = rows[0];
    if (row === undefined) throw new QuotaVolumeTypeNotFoundError(volumeTypeId);
    return row.name;
  }

  private async volumeTypeNames(): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.ds.query(
      'SELECT name FROM volume_types WHERE deleted = ? ORDER BY created_at, name',
      [0],
    );
    return rows.map((r) => r.name);
  }

  private projectOf(ctx: QuotaContext | null, override: string | undefined): string {
    const projectId = override ?? ctx?.projectId;
    requireProject(projectId);
    return projectId;
  }

  private expiryOf(expire: Date | number | undefined): Date {
    if (expire === undefined) return new Date(this.now().getTime() + this.expireSeconds * 1000);
    if (expire instanceof Date && !Number.isNaN(expire.getTime())) return expire;
    if (typeof expire === 'number' && Number.isFinite(expire) && expire > 0) {
      return new Date(this.now().getTime() + expire * 1000);
    }
    throw new InvalidQuotaValueError('expire', expire, 'a Date or a positive number of seconds');
  }

  private tx<T>(work: (q: QueryRunner) => Promise<T>): Promise<T> {
    return withWriteTransaction(this.ds, work, this.options.retry);
  }
}

/** The locked usage rows by resource, numbers as numbers (MySQL may return BIGINT columns as strings). */
function usageMap(rows: readonly UsageRow[]): Map<string, UsageRow> {
  return new Map(
    rows.map((r) => [
      r.resource,
      { id: Number(r.id), resource: r.resource, in_use: Number(r.in_use), reserved: Number(r.reserved) },
    ]),
  );
}

/**
 * A reservation id as MySQL's default collation compares it in {@link quotaSql.selectReservations}
 * (case-insensitive, trailing spaces ignored): a settle of an id written another way finds the row,
 * and its batch must hand that row to it, as the settle alone applied every row it found.
 */
function reservationKey(id: string): string {
  return id.toLowerCase().replace(/ +$/, '');
}

/**
 * Server errors that end a connection's statement part way: whether its COMMIT ran is not known.
 * ER_SERVER_SHUTDOWN, ER_QUERY_INTERRUPTED, ER_CONNECTION_KILLED.
 */
const INTERRUPTED_ERRNO = new Set([1053, 1317, 1927]);

/**
 * Whether a failed statement may still have run to its end on the server: anything but an error the
 * server reported for a statement it stopped (SQLSTATE and errno; the compound's handler then rolled
 * back), i.e. a lost or killed connection, a client-side timeout.
 */
function outcomeUnknown(err: unknown): boolean {
  for (const e of errorChain(err)) {
    if (e.fatal === true) return true;
    if (typeof e.sqlState === 'string' && typeof e.errno === 'number') return INTERRUPTED_ERRNO.has(e.errno);
  }
  return true;
}

function requireProject(projectId: unknown): asserts projectId is string {
  // 255 is the column width; MySQL's INSERT IGNORE would silently truncate a longer id.
  if (typeof projectId !== 'string' || projectId === '' || projectId.length > 255) {
    throw new InvalidQuotaValueError('project_id', projectId, 'a project id of 1 to 255 characters');
  }
}

function pick(
  limits: Readonly<Record<string, number>>,
  resources: readonly string[],
): Record<string, number> {
  return Object.fromEntries(resources.map((r) => [r, limits[r] ?? -1]));
}

function usageViews(usages: ReadonlyMap<string, UsageRow>): Record<string, ResourceUsage> {
  const out: Record<string, ResourceUsage> = {};
  for (const [resource, row] of usages) out[resource] = { inUse: row.in_use, reserved: row.reserved };
  return out;
}
