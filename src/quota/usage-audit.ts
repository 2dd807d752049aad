import type { DataSource } from 'typeorm';
import { dbDate, dbFlavor } from '../db/sql';
import { withWriteTransaction } from '../db/transaction';
import { quotaSql } from './quota-sql';
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

export interface UsageAuditReport {
  /** Projects looked at (every project with a usage row, a volume or a snapshot). */
  projectsChecked: number;
  /** Every drift found, sorted by project then resource. */
  drift: UsageDrift[];
  /** Drift corrected (only with `fix: true`). */
  fixedCount: number;
  /**
   * Projects with drift left alone because they had reservations in flight: a volume row exists
   * between reserve and commit, so "fixing" then would count it twice once the commit lands.
   */
  skippedProjects: string[];
}

export interface UsageAuditOptions {
  /** Rewrite `in_use` to the recomputed value. @default false (report only) */
  fix?: boolean;
  /** Audit only this project. */
  projectId?: string;
}

type Counts = Map<string, Map<string, number>>; // project → resource → actual

const AUDITED = /^(volumes|gigabytes|snapshots)(_.+)?$/;

/**
 * The cure for "quota usage out of sync": recomputes `in_use` of `volumes`, `gigabytes`, `snapshots`
 * and their per-type variants from the volumes and snapshots actually present (not deleted, and for
 * volumes still counting: `use_quota`; snapshot sizes count towards gigabytes, as in Cinder), compares it with `quota_usages` and reports the drift.
 * With `fix`, each drifted project is corrected in one transaction under the same usage-row lock the
 * quota engine takes, re-checked there, and skipped if it has reservations in flight.
 * Backups and groups are not audited (no tables here).
 *
 * @example const report = await runUsageAudit(ds, { fix: true }); // the CLI's `quota:audit --fix`
 */
export async function runUsageAudit(ds: DataSource, opts: UsageAuditOptions = {}): Promise<UsageAuditReport> {
  const actual = await computeActual((sql, params) => ds.query(sql, params), opts.projectId);
  const usageRows: Array<{ project_id: string; resource: string; in_use: number; reserved: number }> =
    await ds.query(
      'SELECT project_id, resource, in_use, reserved FROM quota_usages' +
        (opts.projectId !== undefined ? ' WHERE project_id = ?' : ''),
      opts.projectId !== undefined ? [opts.projectId] : [],
    );
  const recorded = new Map<string, Map<string, { in_use: number; reserved: number }>>();
  for (const r of usageRows) {
    if (!AUDITED.test(r.resource)) continue;
    let m = recorded.get(r.project_id);
    if (!m) recorded.set(r.project_id, (m = new Map()));
    m.set(r.resource, { in_use: Number(r.in_use), reserved: Number(r.reserved) });
  }
  const projects = new Set([...actual.keys(), ...recorded.keys()]);
  const drift: UsageDrift[] = [];
  for (const projectId of projects)
    drift.push(...diff(projectId, actual.get(projectId), recorded.get(projectId)));
  drift.sort((a, b) =>
    a.projectId === b.projectId ? cmp(a.resource, b.resource) : cmp(a.projectId, b.projectId),
  );

  let fixedCount = 0;
  const skippedProjects: string[] = [];
  if (opts.fix === true) {
    const drifted = [...new Set(drift.map((d) => d.projectId))];
    for (const projectId of drifted) {
      const outcome = await fixProject(ds, projectId);
      if (outcome === 'skipped') {
        skippedProjects.push(projectId);
        continue;
      }
      for (const d of drift) {
        if (d.projectId === projectId && outcome.has(d.resource)) {
          d.fixed = true;
          fixedCount++;
        }
      }
    }
  }
  return { projectsChecked: projects.size, drift, fixedCount, skippedProjects };
}

function diff(
  projectId: string,
  actual: Map<string, number> | undefined,
  recorded: Map<string, { in_use: number; reserved: number }> | undefined,
): UsageDrift[] {
  const out: UsageDrift[] = [];
  const resources = new Set([...(actual?.keys() ?? []), ...(recorded?.keys() ?? [])]);
  for (const resource of resources) {
    const want = actual?.get(resource) ?? 0;
    const have = recorded?.get(resource);
    if ((have?.in_use ?? 0) !== want) {
      out.push({
        projectId,
        resource,
        recorded: have?.in_use ?? 0,
        actual: want,
        reserved: have?.reserved ?? 0,
        fixed: false,
      });
    }
  }
  return out;
}

async function fixProject(ds: DataSource, projectId: string): Promise<Set<string> | 'skipped'> {
  // Usage rows a fix needs must exist before the locked transaction (created the way the engine does).
  const pre = await computeActual((sql, params) => ds.query(sql, params), projectId);
  await createMissingUsageRows(ds, projectId, [...(pre.get(projectId)?.keys() ?? [])], new Date());
  return withWriteTransaction(ds, async (q) => {
    const rows: Array<{ id: number; resource: string; in_use: number }> = await q.query(
      quotaSql.lockUsages(dbFlavor(ds)),
      [projectId],
    );
    const pending = await q.query('SELECT COUNT(*) AS n FROM reservations WHERE project_id = ?', [projectId]);
    if (Number(pending[0].n) > 0) return 'skipped' as const;
    const actual =
      (await computeActual((sql, params) => q.query(sql, params), projectId)).get(projectId) ??
      new Map<string, number>();
    const fixed = new Set<string>();
    const now = dbDate(ds, new Date());
    for (const row of rows) {
      if (!AUDITED.test(row.resource)) continue;
      const want = actual.get(row.resource) ?? 0;
      if (Number(row.in_use) === want) continue;
      await q.query('UPDATE quota_usages SET in_use = ?, updated_at = ? WHERE id = ?', [want, now, row.id]);
      fixed.add(row.resource);
    }
    return fixed;
  });
}

type Run = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

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
