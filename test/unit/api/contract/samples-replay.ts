/**
 * Replays the requests recorded from Cinder 21 (test/fixtures/cinder-api-samples.md) against our API,
 * in recording order, on the real stack in one process (routes, VolumeAPI, scheduler and a volume
 * service on the fake driver, SQLite, in-process transport), and compares each answer with Cinder's
 * field by field: status; Content-Type; X-OpenStack-Request-Id / X-Compute-Request-Id presence and
 * `req-<uuid4>` form; OpenStack-API-Version and Vary; body keys (and their order), value types and, for
 * single resources and faults, values — ids, request ids and timestamps normalised, recorded ids mapped
 * to the ids our answers gave for the same resources.
 */
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../../src/api/app';
import { silentLogger } from '../../../../src/log';
import { SchedulerRpcApi } from '../../../../src/scheduler/rpc-api';
import { volumeApiV3 } from '../../../../src/volume/api-wiring';
import { FakeDriver } from '../../../../src/volume/drivers';
import { VolumeRpcApi } from '../../../../src/volume/rpc-api';
import type { TestDatabase } from '../../../helpers/db';
import { startVolumeCloud, type VolumeCloud } from '../../volume/backend-cloud';
import type { Sample } from './samples';

/** The recording's main project. */
export const SAMPLES_PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?/g;
const REQ_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRIMMED_ITEMS = /^\.\.\. \(\d+ more items trimmed\)$/;

/** One difference between Cinder's answer and ours. */
export interface Mismatch {
  readonly where: string;
  readonly cinder: unknown;
  readonly ours: unknown;
}

export interface ReplayResult {
  readonly sample: Sample;
  readonly status: number;
  readonly body: string;
  readonly mismatches: Mismatch[];
}

export interface ReplayStack {
  readonly app: Express;
  readonly cloud: VolumeCloud;
  stop(): Promise<void>;
}

/** The deployment the recording was made on: one `fake` backend, the types it had before the run. */
export async function startReplayStack(db: TestDatabase): Promise<ReplayStack> {
  const cloud = await startVolumeCloud({
    dataSource: db.dataSource,
    backends: { 'cinder-peer': { driver: new FakeDriver({ backendName: 'fake', capacityGb: 100_000 }) } },
  });
  const mountV3 = await volumeApiV3({
    scheduler: (t) => new SchedulerRpcApi(t),
    backend: (t) => new VolumeRpcApi(t),
    snapshots: (t) => new VolumeRpcApi(t),
  })({
    config: {
      defaultVolumeType: '__DEFAULT__',
      defaultAvailabilityZone: 'nova',
      osapiMaxLimit: 1000,
      serviceDownTime: 60,
      reservationExpire: 86400,
    },
    logger: silentLogger(),
    resources: { dataSource: async () => db.dataSource, transport: async () => cloud.transport },
  });
  // Oldest first, so the newest-first lists show them in the recording's order.
  for (const name of ['fake-type-a27180', 'fake-type-628437']) {
    await cloud.api.createType({
      name,
      description: 'bound to fake backend',
      extraSpecs: { volume_backend_name: 'fake' },
      isPublic: true,
    });
  }
  // Cinder's deployment already held volumes of the main project when the recording began (its first
  // lists are not empty): three available ones here, so those lists are compared item by item too.
  for (let i = 0; i < 3; i++) {
    const id = await cloud.create(SAMPLES_PROJECT, { size: 1 });
    await cloud.settled(id);
  }
  const app = createApp({ config: { maxRequestBodySize: 114688 }, logger: silentLogger(), mountV3 });
  return { app, cloud, stop: () => cloud.stop() };
}

function normalise(s: string): string {
  return s.replace(UUID, '<uuid>').replace(TIMESTAMP, '<time>');
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * Compares `ours` with Cinder's `cinder` at `where`. `values`: compare leaf values (normalised) too, not
 * only keys and types. A list Cinder's recorder trimmed (`"... (N more items trimmed)"`) and a dict it
 * cut (`"...": "(N more keys trimmed)"`) are compared on what was kept.
 */
export function compareJson(
  cinder: unknown,
  ours: unknown,
  where: string,
  values: boolean,
  out: Mismatch[],
): void {
  // Items of a list are other resources than Cinder's: a nullable field may be set on one and not the
  // other, and metadata is user data. Their keys and the types of set values are still compared.
  if (!values && (cinder === null || ours === null || /\.metadata$/.test(where))) return;
  if (typeOf(cinder) !== typeOf(ours)) {
    out.push({ where: `${where} (type)`, cinder: typeOf(cinder), ours: typeOf(ours) });
    return;
  }
  if (Array.isArray(cinder)) {
    const o = ours as unknown[];
    const trimmed =
      cinder.length > 0 &&
      typeof cinder[cinder.length - 1] === 'string' &&
      TRIMMED_ITEMS.test(cinder[cinder.length - 1] as string);
    const kept = trimmed ? cinder.slice(0, -1) : cinder;
    // Lists depend on what the deployment held (Cinder's had volumes from earlier runs): same item shape.
    // Item values are compared only for short lists that do not hold volumes (links, types, zones).
    const itemValues = values && !trimmed && !/\.volumes$/.test(where);
    const n = Math.min(kept.length, o.length);
    for (let i = 0; i < n; i++) compareJson(kept[i], o[i], `${where}[${i}]`, itemValues, out);
    if (itemValues && kept.length !== o.length)
      out.push({ where: `${where} (length)`, cinder: kept.length, ours: o.length });
    if (kept.length > 0 && o.length === 0)
      out.push({ where: `${where} (empty)`, cinder: kept.length, ours: 0 });
    if (kept.length === 0 && o.length > 0 && !trimmed)
      out.push({ where: `${where} (not empty)`, cinder: 0, ours: o.length });
    return;
  }
  if (cinder !== null && typeof cinder === 'object') {
    const c = cinder as Record<string, unknown>;
    const o = ours as Record<string, unknown>;
    const cut = '...' in c;
    const ck = Object.keys(c).filter((k) => k !== '...');
    const ok = Object.keys(o);
    const missing = ck.filter((k) => !(k in o));
    const extra = cut ? [] : ok.filter((k) => !(k in c));
    if (missing.length > 0) out.push({ where: `${where} (missing keys)`, cinder: missing, ours: null });
    if (extra.length > 0) out.push({ where: `${where} (extra keys)`, cinder: null, ours: extra });
    if (!cut && missing.length === 0 && extra.length === 0 && ck.join() !== ok.join()) {
      out.push({ where: `${where} (key order)`, cinder: ck, ours: ok });
    }
    for (const k of ck) if (k in o) compareJson(c[k], o[k], `${where}.${k}`, values, out);
    return;
  }
  if (!values) return;
  const a = typeof cinder === 'string' ? normalise(cinder) : cinder;
  const b = typeof ours === 'string' ? normalise(ours) : ours;
  if (a !== b) out.push({ where, cinder, ours });
}

/** Learns which of our ids stand for which recorded ones, from two answers about the same resource. */
function learnIds(cinder: unknown, ours: unknown, ids: Map<string, string>): void {
  if (cinder === null || ours === null || typeof cinder !== 'object' || typeof ours !== 'object') return;
  if (Array.isArray(cinder) || Array.isArray(ours)) return; // list positions need not match
  const c = cinder as Record<string, unknown>;
  const o = ours as Record<string, unknown>;
  for (const [k, v] of Object.entries(c)) {
    const w = o[k];
    if (
      typeof v === 'string' &&
      typeof w === 'string' &&
      k === 'id' &&
      /^[0-9a-f-]{36}$/.test(v) &&
      !ids.has(v)
    )
      ids.set(v, w);
    else if (k === 'volumes_links' || k === 'snapshots_links') {
      const m1 = Array.isArray(v) ? /marker=([0-9a-f-]{36})/.exec(JSON.stringify(v)) : null;
      const m2 = Array.isArray(w) ? /marker=([0-9a-f-]{36})/.exec(JSON.stringify(w)) : null;
      if (m1 !== null && m2 !== null && !ids.has(m1[1]!)) ids.set(m1[1]!, m2[1]!);
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) learnIds(v, w, ids);
  }
}

function mapIds(text: string, ids: ReadonlyMap<string, string>): string {
  return text.replace(UUID, (id) => ids.get(id) ?? id);
}

/** Headers the recorded request carried that we send as they were (the rest is transport detail). */
const SENT_HEADERS = new Set([
  'x-auth-token',
  'content-type',
  'accept',
  'openstack-api-version',
  'x-openstack-request-id',
]);

async function settle(cloud: VolumeCloud): Promise<void> {
  const end = Date.now() + 5000;
  for (;;) {
    const busy: unknown[] = await cloud.ds.query(
      "SELECT id FROM volumes WHERE deleted = 0 AND status IN ('creating', 'deleting', 'extending') UNION ALL SELECT id FROM snapshots WHERE deleted = 0 AND status IN ('creating', 'deleting')",
    );
    if (busy.length === 0 || Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function compareHeaders(sample: Sample, res: request.Response, out: Mismatch[]): void {
  const rec = sample.response.headers;
  const ours = res.headers as Record<string, string | undefined>;
  const ct = (v: string | undefined): string | undefined => v?.toLowerCase().replace(/\s+/g, '');
  if (ct(rec['content-type']) !== ct(ours['content-type']))
    out.push({ where: 'header content-type', cinder: rec['content-type'], ours: ours['content-type'] });
  for (const h of ['x-openstack-request-id', 'x-compute-request-id']) {
    if ((rec[h] !== undefined) !== (ours[h] !== undefined))
      out.push({ where: `header ${h} (presence)`, cinder: rec[h] ?? null, ours: ours[h] ?? null });
    else if (ours[h] !== undefined && !REQ_ID.test(ours[h]))
      out.push({ where: `header ${h} (form)`, cinder: rec[h], ours: ours[h] });
  }
  if (
    ours['x-compute-request-id'] !== undefined &&
    ours['x-compute-request-id'] !== ours['x-openstack-request-id']
  ) {
    out.push({
      where: 'header x-compute-request-id (same as x-openstack-request-id)',
      cinder: 'same',
      ours: ours['x-compute-request-id'],
    });
  }
  for (const h of ['openstack-api-version', 'vary', 'retry-after', 'x-auth-token', 'location']) {
    if (rec[h] !== ours[h]) out.push({ where: `header ${h}`, cinder: rec[h] ?? null, ours: ours[h] ?? null });
  }
}

/** Replays every sample in order and returns what differed for each. */
export async function replaySamples(stack: ReplayStack, samples: readonly Sample[]): Promise<ReplayResult[]> {
  const ids = new Map<string, string>();
  const results: ReplayResult[] = [];
  for (const sample of samples) {
    // The recorder paced its requests: let the backend finish what is in flight (always, so that the
    // answers do not depend on timing; the samples taken mid-flight are listed as known differences).
    await settle(stack.cloud);
    const { method, path, headers, body } = sample.request;
    let req = request(stack.app)
      [method.toLowerCase() as 'get'](mapIds(path, ids))
      .set('Host', '127.0.0.1:8776');
    for (const [k, v] of Object.entries(headers)) if (SENT_HEADERS.has(k)) req = req.set(k, v);
    const res = await (body === null ? req : req.send(mapIds(body, ids))).buffer(true).parse((r, cb) => {
      let data = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (data += c));
      r.on('end', () => cb(null, data));
    });
    const text = String(res.body ?? '');
    const mismatches: Mismatch[] = [];
    if (res.status !== sample.response.status)
      mismatches.push({ where: 'status', cinder: sample.response.status, ours: res.status });
    compareHeaders(sample, res, mismatches);
    const recText = sample.response.body;
    if (recText === null) {
      if (text !== '') mismatches.push({ where: 'body', cinder: '(empty)', ours: text.slice(0, 200) });
    } else {
      let cinderJson: unknown;
      let oursJson: unknown;
      try {
        cinderJson = JSON.parse(recText);
      } catch {
        cinderJson = undefined;
      }
      try {
        oursJson = text === '' ? undefined : JSON.parse(text);
      } catch {
        oursJson = undefined;
      }
      if (cinderJson === undefined) {
        // The samples file loses a text body's trailing blank lines: compare trimmed, and the length.
        if (normalise(recText.trim()) !== normalise(text.trim()))
          mismatches.push({ where: 'body (text)', cinder: recText.slice(0, 200), ours: text.slice(0, 200) });
        const len = sample.response.headers['content-length'];
        if (len !== undefined && Number(len) !== Buffer.byteLength(text))
          mismatches.push({
            where: 'body (text length)',
            cinder: Number(len),
            ours: Buffer.byteLength(text),
          });
      } else if (oursJson === undefined) {
        mismatches.push({
          where: 'body (not JSON)',
          cinder: recText.slice(0, 200),
          ours: text.slice(0, 200),
        });
      } else {
        compareJson(cinderJson, oursJson, 'body', true, mismatches);
        learnIds(cinderJson, oursJson, ids);
      }
    }
    results.push({ sample, status: res.status, body: text, mismatches });
  }
  return results;
}
