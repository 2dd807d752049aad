/**
 * README.md's settings table is the user's reference: it must list exactly the settings of
 * src/config (same variables, same order), each with its place in the config file, its default as the
 * module states it and its meaning; and a default written as a literal must be the value a service
 * really gets when nothing is set. So the README and the config module cannot drift apart.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SETTINGS, loadConfig, type SettingSpec } from '../../../src/config';

const README = path.join(__dirname, '../../../README.md');
const HEADER = ['Variable', 'Config file', 'Default', 'Meaning'];

interface Row {
  readonly variable: string;
  readonly configFile: string;
  readonly default: string;
  readonly meaning: string;
  readonly line: number;
}

/** Cells of one `| a | b |` line; `\|` is a literal pipe inside a cell. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** The rows of the one table whose header is Variable | Config file | Default | Meaning. */
function parseSettingsTable(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const headers = lines.flatMap((l, i) =>
    l.trim().startsWith('|') && cells(l).join('|') === HEADER.join('|') ? [i] : [],
  );
  if (headers.length !== 1)
    throw new Error(`expected one settings table in README.md, found ${headers.length}`);
  const start = headers[0]! + 2; // header, then the |---| separator
  if (!/^\|(\s*:?-+:?\s*\|)+$/.test(lines[start - 1]!.trim()))
    throw new Error('settings table has no separator line');
  const rows: Row[] = [];
  for (let i = start; i < lines.length && lines[i]!.trim().startsWith('|'); i++) {
    const c = cells(lines[i]!);
    if (c.length !== HEADER.length)
      throw new Error(`README.md line ${i + 1}: expected ${HEADER.length} cells, got ${c.length}`);
    rows.push({ variable: c[0]!, configFile: c[1]!, default: c[2]!, meaning: c[3]!, line: i + 1 });
  }
  return rows;
}

/** The first `code span` of a cell, or undefined. */
function firstCode(text: string): string | undefined {
  return /`([^`]*)`/.exec(text)?.[1];
}

const specs = Object.entries(SETTINGS) as [string, SettingSpec<unknown>][];
const rows = parseSettingsTable(fs.readFileSync(README, 'utf8'));
const rowByEnv = new Map(rows.map((r) => [r.variable.replace(/`/g, ''), r]));

describe('README settings table', () => {
  it('lists exactly the settings of src/config, in the same order, once each', () => {
    expect(rows.map((r) => r.variable)).toEqual(specs.map(([, s]) => `\`${s.env}\``));
  });

  it.each(specs)(
    '%s: config file place, default and meaning as the config module states them',
    (_name, spec) => {
      const row = rowByEnv.get(spec.env);

      expect(row).toBeDefined();
      expect(row!.configFile).toBe(`\`[${spec.section}] ${spec.key}\``);
      expect(row!.default).toBe(spec.defaultDoc);
      expect(row!.meaning).toBe(spec.doc);
    },
  );

  // A literal default: the README's code span is the raw default, and loading the configuration with
  // nothing set (no environment, no file) gives that very value.
  const literal = specs.filter(([, s]) => typeof s.default === 'string');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-readme-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(literal)(
    '%s: the documented default is the value a service gets when nothing is set',
    (name, spec) => {
      const { config } = loadConfig({
        argv: [],
        env: {},
        cwd: dir,
        searchPath: [],
        hostname: 'node-1',
        isTTY: false,
      });
      const documented = firstCode(rowByEnv.get(spec.env)?.default ?? '');

      expect(documented).toBe(spec.default);
      expect(String((config as unknown as Record<string, unknown>)[name])).toBe(documented);
    },
  );

  // A computed default: what the README says it depends on, checked against loadConfig.
  it('computed defaults behave as the README says (host name, terminal, database kind)', () => {
    const load = (env: Record<string, string>, isTTY: boolean) =>
      loadConfig({ argv: [], env, cwd: dir, searchPath: [], hostname: 'node-7', isTTY }).config;
    const computed = specs.filter(([, s]) => typeof s.default === 'function').map(([, s]) => s.env);

    // A new computed default needs its README claim checked here.
    expect(computed).toEqual(['SERVICE_HOST', 'LOG_FORMAT', 'DB_AUTO_MIGRATE']);
    expect(rowByEnv.get('SERVICE_HOST')!.default).toBe('the machine host name');
    expect(load({}, false).serviceHost).toBe('node-7');
    expect(rowByEnv.get('LOG_FORMAT')!.default).toBe('`pretty` on a terminal, `json` otherwise');
    expect([load({}, true).logFormat, load({}, false).logFormat]).toEqual(['pretty', 'json']);
    expect(rowByEnv.get('DB_AUTO_MIGRATE')!.default).toBe('`true` for SQLite, `false` for MySQL');
    expect(load({ DATABASE_URL: 'sqlite:./x.sqlite' }, false).dbAutoMigrate).toBe(true);
    expect(load({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/x' }, false).dbAutoMigrate).toBe(false);
  });
});

describe('parseSettingsTable', () => {
  const table = [
    'intro',
    '| Variable | Config file | Default | Meaning |',
    '|---|---|---|---|',
    '| `A` | `[DEFAULT] a` | `1` | one \\| two |',
    '| `B` | `[api] b` | none | b |',
    '',
    '| other | table |',
  ].join('\n');

  it('reads the rows up to the end of the table, with escaped pipes inside cells', () => {
    expect(parseSettingsTable(table)).toEqual([
      { variable: '`A`', configFile: '`[DEFAULT] a`', default: '`1`', meaning: 'one | two', line: 4 },
      { variable: '`B`', configFile: '`[api] b`', default: 'none', meaning: 'b', line: 5 },
    ]);
  });

  it('refuses a row with a missing cell, and a README without the table', () => {
    expect(() =>
      parseSettingsTable(table.replace('| `B` | `[api] b` | none | b |', '| `B` | none | b |')),
    ).toThrow('README.md line 5: expected 4 cells, got 3');
    expect(() => parseSettingsTable('no table here')).toThrow(
      'expected one settings table in README.md, found 0',
    );
  });
});
