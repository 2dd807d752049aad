import type { DataSource, QueryRunner } from 'typeorm';
import {
  NotFound,
  type AtomDetail,
  type FlowDetail,
  type LogBook,
  type PersistenceBackend,
} from '../../taskflow';
import { dbDate, dbFlavor, parseDbDate, type DbFlavor } from '../sql';
import { withWriteTransaction } from '../transaction';

/** Options of {@link TypeOrmBackend}. */
export interface TypeOrmBackendOptions {
  /** Most queued writes folded into one transaction. @default 256 */
  maxBatch?: number;
}

type Write =
  | { kind: 'book'; book: LogBook }
  | { kind: 'flow'; bookUuid: string; flow: FlowDetail }
  | { kind: 'atom'; flowUuid: string; atom: AtomDetail }
  | { kind: 'destroy'; bookUuid: string };

interface Pending {
  write: Write;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface BookRow {
  uuid: string;
  name: string | null;
  meta: string | null;
  created_at: unknown;
  updated_at: unknown;
}
interface FlowRow {
  uuid: string;
  parent_uuid: string;
  name: string | null;
  meta: string | null;
  state: string | null;
}
interface AtomRow {
  uuid: string;
  parent_uuid: string;
  name: string | null;
  atom_type: string | null;
  state: string | null;
  intention: string | null;
  meta: string | null;
  results: string | null;
  failure: string | null;
  revert_results: string | null;
  revert_failure: string | null;
}

const ATOM_COLUMNS = [
  'uuid',
  'parent_uuid',
  'position',
  'name',
  'atom_type',
  'state',
  'intention',
  'meta',
  'results',
  'failure',
  'revert_results',
  'revert_failure',
  'created_at',
  'updated_at',
] as const;
/** On update an atom keeps its parent, position and created_at. */
const ATOM_UPDATED = [
  'name',
  'atom_type',
  'state',
  'intention',
  'meta',
  'results',
  'failure',
  'revert_results',
  'revert_failure',
  'updated_at',
];
const FLOW_COLUMNS = [
  'uuid',
  'parent_uuid',
  'position',
  'name',
  'meta',
  'state',
  'created_at',
  'updated_at',
] as const;
const FLOW_UPDATED = ['name', 'meta', 'state', 'updated_at'];
const BOOK_COLUMNS = ['uuid', 'name', 'meta', 'created_at', 'updated_at'] as const;
const BOOK_UPDATED = ['name', 'meta', 'updated_at'];

/**
 * The engine's {@link PersistenceBackend} on TypeORM, over the `logbooks`, `flowdetails` and `atomdetails`
 * tables (TaskFlow's SQL backend layout, JSON in text columns), for MySQL/MariaDB and SQLite.
 *
 * Every atom transition is a write, so writes are group-committed: calls queue, one flusher folds all
 * queued writes (up to `maxBatch`) into one transaction with one multi-row upsert per table, and each
 * call resolves only once the transaction holding it has committed. Durability is exactly that of one
 * transaction per call (a resolved save is on disk), while concurrent flows share commits. Writes are
 * applied in call order; a save whose parent does not exist rejects with `NotFound` without failing the
 * others in its batch.
 *
 * The DataSource belongs to the caller: `close()` drains the queue but does not destroy it.
 */
export class TypeOrmBackend implements PersistenceBackend {
  private readonly flavor: DbFlavor;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  /** Transactions committed so far (handy in tests and benchmarks). */
  transactions = 0;

  constructor(
    private readonly ds: DataSource,
    opts: TypeOrmBackendOptions = {},
  ) {
    this.flavor = dbFlavor(ds);
    this.maxBatch = opts.maxBatch ?? 256;
  }

  saveLogBook(book: LogBook): Promise<void> {
    return this.enqueue({ kind: 'book', book: clone(book) });
  }

  saveFlowDetail(bookUuid: string, flowDetail: FlowDetail): Promise<void> {
    return this.enqueue({ kind: 'flow', bookUuid, flow: clone(flowDetail) });
  }

  saveAtomDetail(flowUuid: string, atomDetail: AtomDetail): Promise<void> {
    return this.enqueue({ kind: 'atom', flowUuid, atom: clone(atomDetail) });
  }

  destroyLogBook(uuid: string): Promise<void> {
    return this.enqueue({ kind: 'destroy', bookUuid: uuid });
  }

  async getLogBook(uuid: string): Promise<LogBook> {
    const rows: BookRow[] = await this.ds.query(
      'SELECT uuid, name, meta, created_at, updated_at FROM logbooks WHERE uuid = ?',
      [uuid],
    );
    const row = rows[0];
    if (row === undefined) throw new NotFound(`no logbook '${uuid}'`);
    const flows: FlowRow[] = await this.ds.query(
      'SELECT uuid, parent_uuid, name, meta, state FROM flowdetails WHERE parent_uuid = ? ORDER BY position, uuid',
      [uuid],
    );
    return toBook(row, await this.withAtoms(flows));
  }

  async listLogBooks(): Promise<LogBook[]> {
    const books: BookRow[] = await this.ds.query(
      'SELECT uuid, name, meta, created_at, updated_at FROM logbooks ORDER BY created_at, uuid',
    );
    const flows: FlowRow[] = await this.ds.query(
      'SELECT uuid, parent_uuid, name, meta, state FROM flowdetails ORDER BY parent_uuid, position, uuid',
    );
    const details = await this.withAtoms(flows);
    const byBook = new Map<string, FlowDetail[]>();
    flows.forEach((f, i) => {
      const list = byBook.get(f.parent_uuid) ?? [];
      list.push(details[i]!);
      byBook.set(f.parent_uuid, list);
    });
    return books.map((b) => toBook(b, byBook.get(b.uuid) ?? []));
  }

  async getFlowDetail(uuid: string): Promise<FlowDetail> {
    const rows: FlowRow[] = await this.ds.query(
      'SELECT uuid, parent_uuid, name, meta, state FROM flowdetails WHERE uuid = ?',
      [uuid],
    );
    if (rows.length === 0) throw new NotFound(`no flow detail '${uuid}'`);
    return (await this.withAtoms(rows))[0]!;
  }

  async findFlowDetails(filter: { states?: readonly string[] } = {}): Promise<FlowDetail[]> {
    const states = filter.states;
    if (states !== undefined && states.length === 0) return [];
    const rows: FlowRow[] =
      states === undefined
        ? await this.ds.query(
            'SELECT uuid, parent_uuid, name, meta, state FROM flowdetails ORDER BY created_at, uuid',
          )
        : await this.ds.query(
            `SELECT uuid, parent_uuid, name, meta, state FROM flowdetails WHERE state IN (${marks(states.length)}) ORDER BY created_at, uuid`,
            [...states],
          );
    return this.withAtoms(rows);
  }

  async getAtomDetail(uuid: string): Promise<AtomDetail> {
    const rows: AtomRow[] = await this.ds.query(
      'SELECT uuid, parent_uuid, name, atom_type, state, intention, meta, results, failure, revert_results, revert_failure FROM atomdetails WHERE uuid = ?',
      [uuid],
    );
    const row = rows[0];
    if (row === undefined) throw new NotFound(`no atom detail '${uuid}'`);
    return toAtom(row);
  }

  /** Waits for every queued write; later writes reject. The DataSource stays open. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing !== null) await this.flushing;
  }

  // ---- writes

  private enqueue(write: Write): Promise<void> {
    if (this.closed) return Promise.reject(new Error('persistence backend is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    // Let the callers of this tick queue up first, so they share the transaction.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        let batch: Pending[];
        const first = this.queue[0]!;
        if (first.write.kind === 'destroy') {
          batch = this.queue.splice(0, 1);
        } else {
          let n = 0;
          while (n < this.queue.length && n < this.maxBatch && this.queue[n]!.write.kind !== 'destroy') n++;
          batch = this.queue.splice(0, n);
        }
        let outcomes: Array<unknown | null>;
        try {
          outcomes = await withWriteTransaction(this.ds, (q) =>
            first.write.kind === 'destroy' ? this.applyDestroy(q, batch) : this.applySaves(q, batch),
          );
          this.transactions++;
        } catch (err) {
          for (const p of batch) p.reject(err);
          continue;
        }
        batch.forEach((p, i) => {
          const outcome = outcomes[i];
          if (outcome === null || outcome === undefined) p.resolve();
          else p.reject(outcome);
        });
      }
    } finally {
      this.flushing = null;
    }
  }

  private async applyDestroy(q: QueryRunner, batch: readonly Pending[]): Promise<Array<unknown | null>> {
    const w = batch[0]!.write as Extract<Write, { kind: 'destroy' }>;
    const rows: unknown[] = await q.query('SELECT uuid FROM logbooks WHERE uuid = ?', [w.bookUuid]);
    if (rows.length === 0) return [new NotFound(`no logbook '${w.bookUuid}'`)];
    await q.query(
      'DELETE FROM atomdetails WHERE parent_uuid IN (SELECT uuid FROM flowdetails WHERE parent_uuid = ?)',
      [w.bookUuid],
    );
    await q.query('DELETE FROM flowdetails WHERE parent_uuid = ?', [w.bookUuid]);
    await q.query('DELETE FROM logbooks WHERE uuid = ?', [w.bookUuid]);
    return [null];
  }

  /** Folds a run of saves into one upsert per table. Returns, per write, null or the error to reject it with. */
  private async applySaves(q: QueryRunner, batch: readonly Pending[]): Promise<Array<unknown | null>> {
    const bookIds = new Set<string>();
    const flowIds = new Set<string>();
    const atomIds = new Set<string>();
    for (const { write: w } of batch) {
      if (w.kind === 'book') {
        bookIds.add(w.book.uuid);
        for (const f of w.book.flowDetails ?? []) {
          flowIds.add(f.uuid);
          for (const a of f.atomDetails ?? []) atomIds.add(a.uuid);
        }
      } else if (w.kind === 'flow') {
        bookIds.add(w.bookUuid);
        flowIds.add(w.flow.uuid);
        for (const a of w.flow.atomDetails ?? []) atomIds.add(a.uuid);
      } else if (w.kind === 'atom') {
        flowIds.add(w.flowUuid);
        atomIds.add(w.atom.uuid);
      }
    }
    // What exists already, and where new children go (next position per parent).
    const books = new Set(await this.ids(q, 'SELECT uuid FROM logbooks WHERE uuid IN', bookIds));
    const existingFlows = new Set(await this.ids(q, 'SELECT uuid FROM flowdetails WHERE uuid IN', flowIds));
    const existingAtoms = new Set(await this.ids(q, 'SELECT uuid FROM atomdetails WHERE uuid IN', atomIds));
    const nextFlowPos = await this.maxPositions(q, 'flowdetails', bookIds);
    const nextAtomPos = await this.maxPositions(q, 'atomdetails', flowIds);
    const flows = new Set(existingFlows);

    const now = dbDate(this.ds, new Date());
    const bookRows = new Map<string, unknown[]>();
    const flowRows = new Map<string, unknown[]>();
    const atomRows = new Map<string, unknown[]>();
    const atomPos = new Map<string, number>();
    const flowPos = new Map<string, number>();

    const putAtom = (flowUuid: string, a: AtomDetail): void => {
      let pos = atomPos.get(a.uuid);
      if (pos === undefined) {
        pos = existingAtoms.has(a.uuid) ? 0 : (nextAtomPos.get(flowUuid) ?? 0);
        if (!existingAtoms.has(a.uuid)) nextAtomPos.set(flowUuid, pos + 1);
        atomPos.set(a.uuid, pos);
      }
      atomRows.delete(a.uuid); // keep call order for the last version
      atomRows.set(a.uuid, [
        a.uuid,
        flowUuid,
        pos,
        a.name ?? null,
        a.kind ?? null,
        a.state ?? null,
        a.intention ?? null,
        JSON.stringify(a.meta ?? {}),
        json(a.results),
        json(a.failure),
        json(a.revertResults),
        json(a.revertFailure),
        now,
        now,
      ]);
    };
    const putFlow = (bookUuid: string, f: FlowDetail): void => {
      let pos = flowPos.get(f.uuid);
      if (pos === undefined) {
        pos = existingFlows.has(f.uuid) ? 0 : (nextFlowPos.get(bookUuid) ?? 0);
        if (!existingFlows.has(f.uuid)) nextFlowPos.set(bookUuid, pos + 1);
        flowPos.set(f.uuid, pos);
      }
      flows.add(f.uuid);
      flowRows.delete(f.uuid);
      flowRows.set(f.uuid, [
        f.uuid,
        bookUuid,
        pos,
        f.name ?? null,
        JSON.stringify(f.meta ?? {}),
        f.state ?? null,
        now,
        now,
      ]);
      for (const a of f.atomDetails ?? []) putAtom(f.uuid, a);
    };

    const outcomes: Array<unknown | null> = batch.map(({ write: w }) => {
      if (w.kind === 'book') {
        const b = w.book;
        books.add(b.uuid);
        bookRows.delete(b.uuid);
        bookRows.set(b.uuid, [
          b.uuid,
          b.name ?? null,
          JSON.stringify(b.meta ?? {}),
          dbDate(this.ds, validDate(b.createdAt)),
          dbDate(this.ds, validDate(b.updatedAt)),
        ]);
        for (const f of b.flowDetails ?? []) putFlow(b.uuid, f);
        return null;
      }
      if (w.kind === 'flow') {
        if (!books.has(w.bookUuid)) return new NotFound(`no logbook '${w.bookUuid}'`);
        putFlow(w.bookUuid, w.flow);
        return null;
      }
      if (w.kind === 'atom') {
        if (!flows.has(w.flowUuid)) return new NotFound(`no flow detail '${w.flowUuid}'`);
        putAtom(w.flowUuid, w.atom);
        return null;
      }
      return new Error('destroy cannot be batched');
    });

    await this.upsert(q, 'logbooks', BOOK_COLUMNS, BOOK_UPDATED, [...bookRows.values()]);
    await this.upsert(q, 'flowdetails', FLOW_COLUMNS, FLOW_UPDATED, [...flowRows.values()]);
    await this.upsert(q, 'atomdetails', ATOM_COLUMNS, ATOM_UPDATED, [...atomRows.values()]);
    return outcomes;
  }

  private async upsert(
    q: QueryRunner,
    table: string,
    columns: readonly string[],
    updated: readonly string[],
    rows: unknown[][],
  ): Promise<void> {
    if (rows.length === 0) return;
    const tuple = `(${marks(columns.length)})`;
    const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}`;
    const tail =
      this.flavor === 'mysql'
        ? ` ON DUPLICATE KEY UPDATE ${updated.map((c) => `${c} = VALUES(${c})`).join(', ')}`
        : ` ON CONFLICT (uuid) DO UPDATE SET ${updated.map((c) => `${c} = excluded.${c}`).join(', ')}`;
    await q.query(head + tail, rows.flat());
  }

  private async ids(q: QueryRunner, sqlPrefix: string, ids: ReadonlySet<string>): Promise<string[]> {
    if (ids.size === 0) return [];
    const rows: Array<{ uuid: string }> = await q.query(`${sqlPrefix} (${marks(ids.size)})`, [...ids]);
    return rows.map((r) => r.uuid);
  }

  private async maxPositions(
    q: QueryRunner,
    table: 'flowdetails' | 'atomdetails',
    parents: ReadonlySet<string>,
  ): Promise<Map<string, number>> {
    if (parents.size === 0) return new Map();
    const rows: Array<{ parent_uuid: string; pos: number | string }> = await q.query(
      `SELECT parent_uuid, MAX(position) AS pos FROM ${table} WHERE parent_uuid IN (${marks(parents.size)}) GROUP BY parent_uuid`,
      [...parents],
    );
    return new Map(rows.map((r) => [r.parent_uuid, Number(r.pos) + 1]));
  }

  // ---- reads

  private async withAtoms(flows: readonly FlowRow[]): Promise<FlowDetail[]> {
    if (flows.length === 0) return [];
    const atoms: AtomRow[] = [];
    // Chunked so a huge listing never exceeds a driver's parameter limit.
    for (let i = 0; i < flows.length; i += 500) {
      const chunk = flows.slice(i, i + 500).map((f) => f.uuid);
      atoms.push(
        ...((await this.ds.query(
          'SELECT uuid, parent_uuid, name, atom_type, state, intention, meta, results, failure, revert_results, revert_failure ' +
            `FROM atomdetails WHERE parent_uuid IN (${marks(chunk.length)}) ORDER BY parent_uuid, position, uuid`,
          chunk,
        )) as AtomRow[]),
      );
    }
    const byFlow = new Map<string, AtomDetail[]>();
    for (const a of atoms) {
      const list = byFlow.get(a.parent_uuid) ?? [];
      list.push(toAtom(a));
      byFlow.set(a.parent_uuid, list);
    }
    return flows.map((f) => ({
      uuid: f.uuid,
      name: f.name ?? '',
      state: (f.state ?? 'PENDING') as FlowDetail['state'],
      meta: parseJson(f.meta) as Record<string, unknown>,
      atomDetails: byFlow.get(f.uuid) ?? [],
    }));
  }
}

function toBook(row: BookRow, flowDetails: FlowDetail[]): LogBook {
  return {
    uuid: row.uuid,
    name: row.name ?? '',
    createdAt: parseDbDate(row.created_at).toISOString(),
    updatedAt: parseDbDate(row.updated_at ?? row.created_at).toISOString(),
    meta: parseJson(row.meta) as Record<string, unknown>,
    flowDetails,
  };
}

function toAtom(row: AtomRow): AtomDetail {
  const ad: AtomDetail = {
    uuid: row.uuid,
    name: row.name ?? '',
    kind: (row.atom_type ?? 'task') as AtomDetail['kind'],
    state: (row.state ?? 'PENDING') as AtomDetail['state'],
    intention: (row.intention ?? 'EXECUTE') as AtomDetail['intention'],
    meta: parseJson(row.meta) as Record<string, unknown>,
  };
  // A NULL column means the field was absent; JSON 'null' means it was null.
  if (row.results !== null) ad.results = JSON.parse(row.results);
  if (row.failure !== null) ad.failure = JSON.parse(row.failure) as AtomDetail['failure'];
  if (row.revert_results !== null) ad.revertResults = JSON.parse(row.revert_results);
  if (row.revert_failure !== null)
    ad.revertFailure = JSON.parse(row.revert_failure) as AtomDetail['revertFailure'];
  return ad;
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function parseJson(text: string | null): unknown {
  return text === null ? {} : JSON.parse(text);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function validDate(iso: string): Date {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
