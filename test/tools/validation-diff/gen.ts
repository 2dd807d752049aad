/** Random request bodies through our validation engine, for scripts/validation-diff/run.sh (not a jest test). */
import { writeFileSync } from 'node:fs';
import { SchemaValidator } from '../../../src/api/validation/json-schema';
import { FORMATS } from '../../../src/api/validation/parameter-types';
import * as s from '../../../src/api/validation/schemas';
import { validateQuotaSetUpdate, quotaResourceNames } from '../../../src/api/validation';

function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const KEYS = [
  'volume',
  'size',
  'name',
  'description',
  'metadata',
  'snapshot_id',
  'source_volid',
  'volume_type',
  'availability_zone',
  'multiattach',
  'display_name',
  'display_description',
  'imageRef',
  'image_id',
  'backup_id',
  'group_id',
  'consistencygroup_id',
  'os-extend',
  'new_size',
  'meta',
  'k',
  '',
  'a b',
  'x/y',
  'OS-SCH-HNT:scheduler_hints',
  'foo',
  'quota_set',
  'volumes',
  'gigabytes',
  'volumes___DEFAULT__',
  'groups',
  'id',
  'tenant_id',
  'os-volume-type-access:is_public',
  'extra_specs',
  'volume_id',
  'force',
  'snapshot',
];
const STRS = [
  '',
  ' ',
  '   ',
  '  x  ',
  'abc',
  '1',
  '0',
  '007',
  '-1',
  '2147483648',
  '1.5',
  'true',
  'nova',
  'x'.repeat(256),
  ' '.repeat(3) + 'y'.repeat(255),
  'c9ea7a6a-2455-4acb-b562-895fb2ea5df2',
  'C9EA7A6A24554ACBB562895FB2EA5DF2',
  '{c9ea7a6a-2455-4acb-b562-895fb2ea5df2}',
  "it's",
  'é',
  'a"b',
  '3 ',
  ' 12',
];
function val(r: () => number, d: number): unknown {
  const x = r();
  if (d > 3 || x < 0.12) return null;
  if (x < 0.3) return [0, 1, -1, 2, 7, 2147483647, 2147483648, 1000, -2][Math.floor(r() * 9)];
  if (x < 0.36) return [1.5, 0.5, 2.25, 1e-7][Math.floor(r() * 4)];
  if (x < 0.44) return r() < 0.5;
  if (x < 0.7) return STRS[Math.floor(r() * STRS.length)];
  if (x < 0.78) return Array.from({ length: Math.floor(r() * 3) }, () => val(r, d + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 4); i > 0; i--) o[KEYS[Math.floor(r() * KEYS.length)]!] = val(r, d + 1);
  return o;
}
const schemas: Record<string, unknown> = {
  create30: s.volumeCreateV30,
  create313: s.volumeCreateV313,
  create347: s.volumeCreateV347,
  create353: s.volumeCreateV353,
  update30: s.volumeUpdateV30,
  update353: s.volumeUpdateV353,
  extend: s.volumeExtend,
  metaCreate: s.volumeMetadataCreate,
  metaItem: s.volumeMetadataItemUpdate,
  quota: s.quotaSetUpdate,
  typeCreate: s.volumeTypeCreate,
  snapCreate: s.snapshotCreate,
};
const wrapKey: Record<string, string> = {
  create30: 'volume',
  create313: 'volume',
  create347: 'volume',
  create353: 'volume',
  update30: 'volume',
  update353: 'volume',
  extend: 'os-extend',
  metaCreate: 'metadata',
  metaItem: 'meta',
  quota: 'quota_set',
  typeCreate: 'volume_type',
  snapCreate: 'snapshot',
};
function main(): void {
  const r = prng(Number(process.env.SEED ?? 7));
  const names = Object.keys(schemas);
  const cases: { schema: string; body: unknown; ts: string }[] = [];
  for (let i = 0; i < 20000; i++) {
    const name = names[i % names.length]!;
    const inner =
      r() < 0.6
        ? Object.fromEntries(
            Array.from({ length: 1 + Math.floor(r() * 3) }, () => [
              KEYS[Math.floor(r() * KEYS.length)]!,
              val(r, 1),
            ]),
          )
        : val(r, 0);
    const body =
      r() < 0.85
        ? { [wrapKey[name]!]: inner, ...(r() < 0.1 ? { [KEYS[Math.floor(r() * KEYS.length)]!]: 1 } : {}) }
        : inner;
    let ts = 'OK';
    try {
      if (name === 'quota') validateQuotaSetUpdate(body, quotaResourceNames(['__DEFAULT__']));
      else new SchemaValidator(schemas[name] as never, FORMATS).validate(body);
    } catch (e) {
      ts = `${(e as Error).name}: ${(e as Error).message}`;
    }
    cases.push({ schema: name, body, ts });
  }
  writeFileSync(process.argv[2] ?? 'cases.json', JSON.stringify({ schemas, cases }));
}
main();
