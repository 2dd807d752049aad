import type { DataSource } from 'typeorm';
import { dbDate, dbFlavor, parseDbDate } from '../db/sql';
import { withWriteTransaction } from '../db/transaction';
import { placeholders, quotaSql } from './quota-sql';
import { createMissingUsageRows } from './usage-rows';

/** One resource whose recorded `in_use` differs from what the volumes and snapshots tables hold. */
export interface UsageDrift {
  projectId: string;
  resource: string;
  /** `quota_usages.in_use` (0 when the row is missing). */
  recorded: number;
  /** Recomputed from the non-deleted volumes and snapshots. */
  actual: number;
  /** `quota_usages.reserved` at audit time. */
  reserved: number;
  /** Whether this run corrected it. */
  fixed: boolean;
}

/** One usage row whose `reserved` differs from the sum of its outstanding reservations' positive deltas. */
export interface ReservedDrift {
  projectId: string;
  resource: string;
  /** `quota_usages.reserved`. */
  recorded: number;
  /** Sum of the positive deltas of the row's reservations (after dropping expired and orphan ones when fixing). */
  actual: number;
  fixed: boolean;
}

/** A reservation the audit flags: past its expiry, or not attached to a usage row of its own project and resource. */
export interface ReservationIssue {
  /** The reservation's uuid (what commit/rollback take). */
  uuid: string;
  projectId: string;
  resource: string;
  delta: number;
  expire: Date;
  /** Whether this run removed it (rolled back: its positive delta no longer counts in `reserved`). */
  fixed: boolean;
}

export interface UsageAuditReport {
  /** Projects looked at (every project with a usage row, a reservation, a volume or a snapshot). */
  projectsChecked: number;
  /** Every `in_use` drift found, sorted by project then resource. */
  drift: UsageDrift[];
  /** `in_use` drift corrected (only with `fix: true`). */
  fixedCount: number;
  /** Every `reserved` drift found (any resource), sorted by project then resource; fixed under the lock with `fix`. */
  reservedDrift: ReservedDrift[];
  /** Reservations past their expiry that the periodic expiry has not rolled back yet; rolled back with `fix`. */
  expiredReservations: ReservationIssue[];
  /**
   * Reservations whose `usage_id` is no usage row of their own project and resource (written by hand or by a
   * broken tool: the engine never makes them); they can never be settled correctly, so `fix` deletes them.
   */
  orphanReservations: ReservationIssue[];
  /**
   * Projects with drift left alone because they had reservations in flight: a volume row exists
   * between reserve and commit, so "fixing" then would count it twice once the commit lands.
   */
  skippedProjects: string[];
}

export interface UsageAuditOptions {
  /**
   * Correct what was found, per project in one transaction under the engine's usage lock: delete orphan
   * reservations, roll back expired ones, rewrite `reserved` from the reservations left, and rewrite
   * `in_use` when no reservation is in flight. @default false (report only)
   */
  fix?: boolean;
  /** Audit only this project. */
  projectId?: string;
  /** What "expired" is measured against. @default new Date() */
  now?: Date;
}

type Counts = Map<string, Map<string, number>>; // project → resource → actual
type Run = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

const AUDITED = /^(volumes|gigabytes|snapshots)(_.+)?$/;

/**
 * The cure for "quota usage out of sync": recomputes `in_use` of `volumes`, `gigabytes`, `snapshots`
 * and their per-type variants from the volumes and snapshots actually present (not deleted, and for
 * volumes still counting: `use_quota`; snapshot sizes count towards gigabytes, as in Cinder), and
 * `reserved` of every usage row from its outstanding reservations; compares both with `quota_usages`
 * and reports the drift, plus expired reservations and orphan ones (not attached to a usage row of
 * their project and resource).
 * With `fix`, each project with findings is corrected in one transaction under the same usage-row lock
 * the quota engine takes, re-checked there (see {@link UsageAuditOptions.fix}); `in_use` is left alone
 * while reservations are in flight (a volume row exists between reserve and commit, so "fixing" it then
 * would count it twice once the commit lands) and the project is listed in `skippedProjects`.
 * Backups and groups have no tables here: their `in_use` is not audited (their `reserved` is).
 *
 * @example const report = await runUsageAudit(ds, { fix: true }); // the CLI's `quota:audit --fix`
 */
export async function runUsageAudit(ds: DataSource, opts: UsageAuditOptions = {}): Promise<UsageAuditReport> {
  const now = opts.now ?? new Date();
  const run: Run = (sql, params) => ds.query(sql, params);
  const [actual, usageRows, reservations] = await Promise.all([
    computeActual(run, opts.projectId),
    readUsages(run, opts.projectId),
    readReservations(run, opts.projectId),
  ]);
  const recorded = new Map<string, Map<string, UsageRecord>>();
  for (const r of usageRows) {
    let m = recorded.get(r.projectId);
    if (!m) recorded.set(r.projectId, (m = new Map()));
    m.set(r.resource, r);
  }
  const projects = new Set([...actual.keys(), ...recorded.keys(), ...reservations.map((r) => r.projectId)]);
  const drift: UsageDrift[] = [];
  for (const projectId of projects)
    drift.push(...diff(projectId, actual.get(projectId), recorded.get(projectId)));
  drift.sort(byProjectResource);

  const findings = reservationFindings(usageRows, reservations, now);
  const { reservedDrift, expiredReservations, orphanReservations } = findings;

  let fixedCount = 0;
  const skippedProjects: string[] = [];
  if (opts.fix === true) {
    const todo = [
      ...new Set(
        [...drift, ...reservedDrift, ...expiredReservations, ...orphanReservations].map((d) => d.projectId),
      ),
    ].sort(cmp);
    for (const projectId of todo) {
      const outcome = await fixProject(ds, projectId, now);
      if (outcome.inUseSkipped && drift.some((d) => d.projectId === projectId))
        skippedProjects.push(projectId);
      for (const d of drift) {
        if (d.projectId === projectId && outcome.inUse.has(d.resource)) {
          d.fixed = true;
          fixedCount++;
        }
      }
      for (const d of reservedDrift)
        if (d.projectId === projectId && outcome.reserved.has(d.resource)) d.fixed = true;
      for (const r of [...expiredReservations, ...orphanReservations])
        if (outcome.removed.has(r.uuid)) r.fixed = true;
    }
  }
  return {
    projectsChecked: projects.size,
    drift,
    fixedCount,
    reservedDrift,
    expiredReservations,
    orphanReservations,
    skippedProjects,
  };
}

interface UsageRecord {
  id: number;
  projectId: string;
  resource: string;
  inUse: number;
  reserved: number;
}

interface ReservationRecord {
  id: number;
  uuid: string;
  usageId: number;
  projectId: string;
  resource: string;
  delta: number;
  expire: Date;
}

async function readUsages(run: Run, projectId: string | undefined): Promise<UsageRecord[]> {
  const rows = await run(
    'SELECT id, project_id, resource, in_use, reserved FROM quota_usages' +
      (projectId !== undefined ? ' WHERE project_id = ?' : ''),
    projectId !== undefined ? [projectId] : [],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    projectId: String(r.project_id),
    resource: String(r.resource),
    inUse: Number(r.in_use),
    reserved: Number(r.reserved),
  }));
}

async function readReservations(run: Run, projectId: string | undefined): Promise<ReservationRecord[]> {
  const rows = await run(
    'SELECT id, uuid, usage_id, project_id, resource, delta, expire FROM reservations' +
      (projectId !== undefined ? ' WHERE project_id = ?' : ''),
    projectId !== undefined ? [projectId] : [],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    uuid: String(r.uuid),
    usageId: Number(r.usage_id),
    projectId: String(r.project_id),
    resource: String(r.resource),
    delta: Number(r.delta),
    expire: parseDbDate(r.expire),
  }));
}

/**
 * `reserved` drift, expired and orphan reservations, from one read of the usage rows and reservations.
 * The `actual` reserved is what the row would hold once expired and orphan reservations are gone, which
 * is what a fix leaves (so a fix's report and the clean re-audit after it agree).
 */
function reservationFindings(
  usages: readonly UsageRecord[],
  reservations: readonly ReservationRecord[],
  now: Date,
): Pick<UsageAuditReport, 'reservedDrift' | 'expiredReservations' | 'orphanReservations'> {
  const byId = new Map(usages.map((u) => [u.id, u]));
  const expiredReservations: ReservationIssue[] = [];
  const orphanReservations: ReservationIssue[] = [];
  const live = new Map<number, number>(); // usage id → sum of positive deltas that stay
  for (const r of reservations) {
    const u = byId.get(r.usageId);
    const issue = (): ReservationIssue => ({
      uuid: r.uuid,
      projectId: r.projectId,
      resource: r.resource,
      delta: r.delta,
      expire: r.expire,
      fixed: false,
    });
    if (u === undefined || u.projectId !== r.projectId || u.resource !== r.resource) {
      orphanReservations.push(issue());
    } else if (r.expire.getTime() < now.getTime()) {
      expiredReservations.push(issue());
    } else if (r.delta > 0) {
      live.set(u.id, (live.get(u.id) ?? 0) + r.delta);
    }
  }
  const reservedDrift: ReservedDrift[] = [];
  for (const u of usages) {
    const want = live.get(u.id) ?? 0;
    if (u.reserved !== want)
      reservedDrift.push({
        projectId: u.projectId,
        resource: u.resource,
        recorded: u.reserved,
        actual: want,
        fixed: false,
      });
  }
  reservedDrift.sort(byProjectResource);
  const byExpiry = (a: ReservationIssue, b: ReservationIssue): number =>
    byProjectResource(a, b) || a.expire.getTime() - b.expire.getTime() || cmp(a.uuid, b.uuid);
  expiredReservations.sort(byExpiry);
  orphanReservations.sort(byExpiry);
  return { reservedDrift, expiredReservations, orphanReservations };
}

function diff(
  projectId: string,
  actual: Map<string, number> | undefined,
  recorded: Map<string, UsageRecord> | undefined,
): UsageDrift[] {
  const out: UsageDrift[] = [];
  const audited = [...(recorded?.keys() ?? [])].filter((r) => AUDITED.test(r));
  const resources = new Set([...(actual?.keys() ?? []), ...audited]);
  for (const resource of resources) {
    const want = actual?.get(resource) ?? 0;
    const have = recorded?.get(resource);
    if ((have?.inUse ?? 0) !== want) {
      out.push({
        projectId,
        resource,
        recorded: have?.inUse ?? 0,
        actual: want,
        reserved: have?.reserved ?? 0,
        fixed: false,
      });
    }
  }
  return out;
}

interface FixOutcome {
  /** Resources whose in_use was rewritten. */
  inUse: Set<string>;
  /** Resources whose reserved was rewritten. */
  reserved: Set<string>;
  /** Uuids of the expired and orphan reservations removed. */
  removed: Set<string>;
  /** in_use left alone: reservations in flight. */
  inUseSkipped: boolean;
}

async function fixProject(ds: DataSource, projectId: string, now: Date): Promise<FixOutcome> {
  // Usage rows a fix needs must exist before the locked transaction (created the way the engine does).
  const pre = await computeActual((sql, params) => ds.query(sql, params), projectId);
  await createMissingUsageRows(ds, projectId, [...(pre.get(projectId)?.keys() ?? [])], new Date());
  return withWriteTransaction(ds, async (q) => {
    const run: Run = (sql, params) => q.query(sql, params);
    // The engine's lock first (same statement, same order), then everything re-read under it.
    await q.query(quotaSql.lockUsages(dbFlavor(ds)), [projectId]);
    const usages = await readUsages(run, projectId);
    const reservations = await readReservations(run, projectId);
    const findings = reservationFindings(usages, reservations, now);
    const outcome: FixOutcome = {
      inUse: new Set(),
      reserved: new Set(),
      removed: new Set(),
      inUseSkipped: false,
    };
    const at = dbDate(ds, new Date());

    const dropped = [...findings.expiredReservations, ...findings.orphanReservations].map((r) => r.uuid);
    if (dropped.length > 0) {
      await q.query(
        `DELETE FROM reservations WHERE project_id = ? AND uuid IN (${placeholders(dropped.length)})`,
        [projectId, ...dropped],
      );
      for (const uuid of dropped) outcome.removed.add(uuid);
    }
    const byResource = new Map(usages.map((u) => [u.resource, u]));
    for (const d of findings.reservedDrift) {
      const row = byResource.get(d.resource)!;
      await q.query('UPDATE quota_usages SET reserved = ?, updated_at = ? WHERE id = ?', [
        d.actual,
        at,
        row.id,
      ]);
      outcome.reserved.add(d.resource);
    }

    if (reservations.length > dropped.length) {
      outcome.inUseSkipped = true;
      return outcome;
    }
    const actual = (await computeActual(run, projectId)).get(projectId) ?? new Map<string, number>();
    for (const row of usages) {
      if (!AUDITED.test(row.resource)) continue;
      const want = actual.get(row.resource) ?? 0;
      if (row.inUse === want) continue;
      await q.query('UPDATE quota_usages SET in_use = ?, updated_at = ? WHERE id = ?', [want, at, row.id]);
      outcome.inUse.add(row.resource);
    }
    return outcome;
  });
}

function byProjectResource(
  a: { projectId: string; resource: string },
  b: { projectId: string; resource: string },
): number {
  return a.projectId === b.projectId ? cmp(a.resource, b.resource) : cmp(a.projectId, b.projectId);
}

async function computeActual(run: Run, projectId: string | undefined): Promise<Counts> {
  {
    const where = projectId !== undefined ? ' AND project_id = ?' : '';
    const params = projectId !== undefined ? [0, projectId] : [0];
    const [types, vols, snaps] = await Promise.all([
      run('SELECT id, name FROM volume_types', []),
      run(
        // A volume whose quota already went back (use_quota cleared: its create failed after the commit)
        // stays visible in `error` but is not in the usage.
        `SELECT project_id, volume_type_id, COUNT(*) AS n, COALESCE(SUM(size), 0) AS gb FROM volumes WHERE deleted = ? AND use_quota = 1${where} GROUP BY project_id, volume_type_id`,
        params,
      ),
      run(
        `SELECT project_id, volume_type_id, COUNT(*) AS n, COALESCE(SUM(volume_size), 0) AS gb FROM snapshots WHERE deleted = ?${where} GROUP BY project_id, volume_type_id`,
        params,
      ),
    ]);
    const typeName = new Map(types.map((t) => [String(t.id), String(t.name)]));
    const out: Counts = new Map();
    const add = (project: string, resource: string, n: number): void => {
      let m = out.get(project);
      if (!m) out.set(project, (m = new Map()));
      m.set(resource, (m.get(resource) ?? 0) + n);
    };
    for (const [rows, countResource] of [
      [vols, 'volumes'],
      [snaps, 'snapshots'],
    ] as const) {
      for (const r of rows) {
        const project = String(r.project_id);
        const n = Number(r.n);
        const gb = Number(r.gb);
        add(project, countResource, n);
        add(project, 'gigabytes', gb);
        const type = r.volume_type_id === null ? undefined : typeName.get(String(r.volume_type_id));
        if (type !== undefined) {
          add(project, `${countResource}_${type}`, n);
          add(project, `gigabytes_${type}`, gb);
        }
      }
    }
    return out;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
