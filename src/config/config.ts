import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ini from 'ini';
import { ConfigFileError, InvalidSettingError, UsageError } from './errors';
import { KNOWN_SECTIONS, PRODUCT_NAME, SETTINGS, type SettingName, type Settings } from './settings';

/** The whole configuration: every setting plus where the file came from. Frozen. */
export type Config = Settings & {
  /** Absolute path of the config file that was read, or null when none was found. */
  readonly configFile: string | null;
};

export interface LoadConfigOptions {
  /** Command-line arguments after the script (`process.argv.slice(2)`); only `--config-file` is read here. */
  readonly argv?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where `./cinder-ts.conf` is looked for. */
  readonly cwd?: string;
  /** Files tried, in order, when `--config-file` is not given. @default [`<cwd>/cinder-ts.conf`, `/etc/cinder-ts/cinder-ts.conf`] */
  readonly searchPath?: readonly string[];
  /** @default os.hostname() */
  readonly hostname?: string;
  /** Decides the LOG_FORMAT default. @default process.stdout.isTTY */
  readonly isTTY?: boolean;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Things worth a log line but not worth stopping for (unknown sections or keys in the file). */
  readonly warnings: readonly string[];
}

/** `./<name>.conf`, then `/etc/<name>/<name>.conf`, as Nova's flagfile discovery does. */
export function defaultSearchPath(cwd: string): string[] {
  return [path.join(cwd, `${PRODUCT_NAME}.conf`), path.join('/etc', PRODUCT_NAME, `${PRODUCT_NAME}.conf`)];
}

/**
 * Finds `--config-file PATH` or `--config-file=PATH` in argv. Throws UsageError when the flag has no value.
 * @returns the path, or undefined when the flag is absent.
 */
export function configFileArgument(argv: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config-file') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError('--config-file needs a PATH');
      found = next;
      i++;
    } else if (arg.startsWith('--config-file=')) {
      found = arg.slice('--config-file='.length);
      if (found === '') throw new UsageError('--config-file needs a PATH');
    }
  }
  return found;
}

type IniSections = Record<string, Record<string, string>>;

/**
 * Reads and parses an INI file strictly: every line must be blank, a comment (`#` or `;`), a `[section]`
 * header or `key = value`. The `ini` package alone accepts anything, which would hide typos.
 */
export function readConfigFile(file: string): IniSections {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigFileError(file, describeFsError(err), { cause: err });
  }
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    if (/^\[[A-Za-z0-9_-]+\]$/.test(trimmed)) return;
    if (/^[A-Za-z0-9_.-]+\s*=/.test(trimmed)) return;
    throw new ConfigFileError(
      file,
      `line ${index + 1} is not "[section]" or "key = value": ${JSON.stringify(trimmed.slice(0, 60))}`,
    );
  });
  const parsed = ini.parse(text) as Record<string, unknown>;
  const sections: IniSections = { DEFAULT: {} };
  for (const [name, value] of Object.entries(parsed)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const target = (sections[name] ??= {});
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) target[key] = String(v);
    } else {
      sections['DEFAULT']![name] = String(value);
    }
  }
  return sections;
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** Picks the file to read: the named one (must exist) or the first of the search path that exists. */
function locateConfigFile(options: LoadConfigOptions, cwd: string): string | null {
  const named = configFileArgument(options.argv ?? []);
  if (named !== undefined) return path.resolve(cwd, named);
  for (const candidate of options.searchPath ?? defaultSearchPath(cwd)) {
    // A candidate that does not exist is fine; one that exists but cannot be read is an error (below).
    if (fs.existsSync(candidate)) return path.resolve(cwd, candidate);
  }
  return null;
}

/**
 * Builds the configuration from (lowest to highest precedence) defaults, the INI file and the environment.
 * An empty environment variable counts as unset. Reads the file system only to find and read the config file.
 *
 * @throws ConfigError (InvalidSettingError, ConfigFileError, UsageError) with a one-line message.
 * @example
 *   const { config } = loadConfig({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd() });
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const configFile = locateConfigFile(options, cwd);
  const sections: IniSections = configFile === null ? {} : readConfigFile(configFile);
  const warnings: string[] = [];

  for (const [section, entries] of Object.entries(sections)) {
    if (!KNOWN_SECTIONS.has(section)) {
      warnings.push(`config file ${configFile}: unknown section [${section}] ignored`);
      continue;
    }
    for (const key of Object.keys(entries)) {
      const known = Object.values(SETTINGS).some((s) => s.section === section && s.key === key);
      if (!known) warnings.push(`config file ${configFile}: unknown option [${section}] ${key} ignored`);
    }
  }

  const values: Record<string, unknown> = {};
  const ctx = {
    hostname: options.hostname ?? os.hostname(),
    isTTY: options.isTTY ?? Boolean(process.stdout.isTTY),
    values,
  };
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const setting = SETTINGS[name];
    const fromEnv = env[setting.env];
    const fromFile = sections[setting.section]?.[setting.key];
    let raw: string;
    let source: string;
    if (fromEnv !== undefined && fromEnv !== '') {
      raw = fromEnv;
      source = 'environment';
    } else if (fromFile !== undefined && fromFile !== '') {
      raw = fromFile;
      source = `${configFile} [${setting.section}] ${setting.key}`;
    } else {
      raw = typeof setting.default === 'function' ? setting.default(ctx) : setting.default;
      source = 'default';
    }
    const parser = setting.parser as { expected: string; parse(raw: string): unknown };
    const value = parser.parse(raw);
    if (value === undefined) throw new InvalidSettingError(setting.env, source, parser.expected, raw);
    values[name] = value;
  }

  const config = Object.freeze({ ...(values as Settings), configFile });
  return { config, warnings };
}
