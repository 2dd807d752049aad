/**
 * The client commands of the command line, run against a deployment that is already running:
 * `server:create`, `server:list`, `server:show` and `hypervisor:list` talk HTTP to its api service
 * (so they work with the all-in-one default, whose RPC is in-process); `quota:audit` opens the
 * database itself, as cinder-manage does.
 */
import type { Config } from '../config';
import type { Logger } from '../log';
import { runUsageAudit, type UsageAuditReport } from '../quota/usage-audit';
import { ProcessResources } from './resources';

/** Where the api service is and who we are to it. */
export interface ApiTarget {
  /** Base URL of the api service; @default http://HOST:PORT from the configuration */
  readonly url: string | undefined;
  /** noauth token `user:project`. */
  readonly token: string;
}

export type ClientCommand =
  | {
      readonly kind: 'server:create';
      readonly api: ApiTarget;
      readonly name: string | undefined;
      readonly vcpus: number;
      readonly memoryMb: number;
      readonly diskGb: number;
      readonly wait: boolean;
      /** Seconds `--wait` waits for ACTIVE or ERROR. */
      readonly timeoutSec: number;
    }
  | {
      readonly kind: 'server:list';
      readonly api: ApiTarget;
      readonly allProjects: boolean;
      readonly json: boolean;
    }
  | { readonly kind: 'server:show'; readonly api: ApiTarget; readonly id: string }
  | { readonly kind: 'hypervisor:list'; readonly api: ApiTarget; readonly json: boolean }
  | { readonly kind: 'quota:audit'; readonly fix: boolean; readonly projectId: string | undefined };

export type ClientCommandKind = ClientCommand['kind'];
export const CLIENT_COMMANDS: readonly ClientCommandKind[] = [
  'server:create',
  'server:list',
  'server:show',
  'hypervisor:list',
  'quota:audit',
];

export function isClientCommand(name: string): name is ClientCommandKind {
  return (CLIENT_COMMANDS as readonly string[]).includes(name);
}

/** The default noauth token: the admin user in project `admin`. */
export const DEFAULT_TOKEN = 'admin:admin';
/** Default seconds `server:create --wait` waits. */
export const DEFAULT_WAIT_TIMEOUT_SEC = 120;

export interface ClientIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** An HTTP answer that was not the one expected, with the API's fault message when it sent one. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: HTTP ${status}: ${detail}`);
    this.name = 'ApiCallError';
  }
}

function baseUrl(api: ApiTarget, config: Pick<Config, 'host' | 'port'>): string {
  if (api.url !== undefined) return api.url.replace(/\/+$/, '');
  // A server listening on every interface is reached on loopback from here.
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

async function call(
  io: ClientIo,
  base: string,
  api: ApiTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const doFetch = io.fetch ?? fetch;
  const res = await doFetch(`${base}/v3${path}`, {
    method,
    headers: {
      'X-Auth-Token': api.token,
      Accept: 'application/json',
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    // OpenStack faults are {"<faultName>": {"code", "message"}}.
    const fault =
      parsed !== null && typeof parsed === 'object'
        ? Object.values(parsed as Record<string, unknown>)[0]
        : undefined;
    const message = (fault as { message?: unknown } | undefined)?.message;
    throw new ApiCallError(
      res.status,
      `${method} /v3${path}`,
      typeof message === 'string' ? message : text.slice(0, 200),
    );
  }
  if (parsed === null || typeof parsed !== 'object')
    throw new ApiCallError(res.status, `${method} /v3${path}`, 'the answer is not a JSON object');
  return parsed as Record<string, unknown>;
}

type Row = Record<string, unknown>;

/** Columns padded to their widest cell, for people. */
export function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string[] {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

function usage(used: unknown, total: unknown): string {
  return `${String(used)}/${String(total)}`;
}

/**
 * Runs one client command. Exit codes: 0 done; 1 the build ended in ERROR or did not settle in
 * time, the API refused, or `quota:audit` found drift it did not fix.
 */
export async function runClientCommand(
  command: ClientCommand,
  config: Config,
  logger: Logger,
  io: ClientIo,
): Promise<number> {
  if (command.kind === 'quota:audit') return quotaAudit(command, config, logger, io);
  const base = baseUrl(command.api, config);
  try {
    switch (command.kind) {
      case 'server:create': {
        const created = await call(io, base, command.api, 'POST', '/servers', {
          server: {
            ...(command.name !== undefined ? { name: command.name } : {}),
            vcpus: command.vcpus,
            ram: command.memoryMb,
            disk: command.diskGb,
          },
        });
        let server = created['server'] as Row;
        if (command.wait) {
          const now = io.now ?? Date.now;
          const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
          const deadline = now() + command.timeoutSec * 1000;
          while (server['status'] === 'BUILD' && now() < deadline) {
            await sleep(250);
            server = (await call(io, base, command.api, 'GET', `/servers/${String(server['id'])}`))[
              'server'
            ] as Row;
          }
        }
        io.stdout(JSON.stringify({ server }, null, 2));
        if (!command.wait) return 0;
        if (server['status'] === 'ACTIVE') return 0;
        io.stderr(
          server['status'] === 'BUILD'
            ? `cinder-ts: server ${String(server['id'])} is still building after ${command.timeoutSec} s`
            : `cinder-ts: server ${String(server['id'])} ended ${String(server['status'])}`,
        );
        return 1;
      }
      case 'server:show': {
        const { server } = await call(
          io,
          base,
          command.api,
          'GET',
          `/servers/${encodeURIComponent(command.id)}`,
        );
        io.stdout(JSON.stringify({ server }, null, 2));
        return 0;
      }
      case 'server:list': {
        const body = await call(
          io,
          base,
          command.api,
          'GET',
          `/servers/detail${command.allProjects ? '?all_tenants=1' : ''}`,
        );
        if (command.json) {
          io.stdout(JSON.stringify(body, null, 2));
          return 0;
        }
        const servers = body['servers'] as Row[];
        const flavor = (s: Row) => (s['flavor'] ?? {}) as Row;
        for (const line of table(
          ['ID', 'NAME', 'STATUS', 'HOST', 'VCPUS', 'RAM_MB', 'DISK_GB'],
          servers.map((s) => [
            s['id'],
            s['name'],
            s['status'],
            s['OS-EXT-SRV-ATTR:host'],
            flavor(s)['vcpus'],
            flavor(s)['ram'],
            flavor(s)['disk'],
          ]),
        )) {
          io.stdout(line);
        }
        return 0;
      }
      case 'hypervisor:list': {
        const body = await call(io, base, command.api, 'GET', '/os-hypervisors/detail');
        if (command.json) {
          io.stdout(JSON.stringify(body, null, 2));
          return 0;
        }
        const hv = body['hypervisors'] as Row[];
        for (const line of table(
          [
            'ID',
            'HYPERVISOR',
            'HOST',
            'STATE',
            'VCPUS_USED/TOTAL',
            'RAM_MB_USED/TOTAL',
            'DISK_GB_USED/TOTAL',
            'VMS',
          ],
          hv.map((h) => [
            h['id'],
            h['hypervisor_hostname'],
            ((h['service'] ?? {}) as Row)['host'],
            h['state'],
            usage(h['vcpus_used'], h['vcpus']),
            usage(h['memory_mb_used'], h['memory_mb']),
            usage(h['local_gb_used'], h['local_gb']),
            h['running_vms'],
          ]),
        )) {
          io.stdout(line);
        }
        return 0;
      }
    }
  } catch (err) {
    io.stderr(`cinder-ts: ${command.kind} failed: ${describeClientError(err, base)}`);
    return 1;
  }
}

function describeClientError(err: unknown, base: string): string {
  if (err instanceof ApiCallError) return err.message;
  // fetch's "fetch failed" names the reason (ECONNREFUSED …) only in its cause.
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `cannot reach the api at ${base} (${typeof code === 'string' ? code : cause.message})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * One line per finding (in_use drift, reserved drift, expired and orphan reservations), then a
 * summary; exit 1 when something was found and not fixed.
 */
export function formatAudit(report: UsageAuditReport, fix: boolean): { lines: string[]; code: number } {
  const done = (fixed: boolean) => (fixed ? ' — fixed' : '');
  const lines = report.drift.map(
    (d) =>
      `drift: project ${d.projectId} ${d.resource}: in_use ${d.recorded}, actual ${d.actual} (reserved ${d.reserved})${done(d.fixed)}`,
  );
  // The reservation checks came later to the audit; a report without them has none to show.
  const reservedDrift = report.reservedDrift ?? [];
  const expired = report.expiredReservations ?? [];
  const orphans = report.orphanReservations ?? [];
  for (const d of reservedDrift) {
    lines.push(
      `drift: project ${d.projectId} ${d.resource}: reserved ${d.recorded}, outstanding reservations ${d.actual}${done(d.fixed)}`,
    );
  }
  for (const r of expired) {
    lines.push(
      `expired reservation ${r.uuid}: project ${r.projectId} ${r.resource} ${r.delta} (expired ${r.expire.toISOString()})${done(r.fixed)}`,
    );
  }
  for (const r of orphans) {
    lines.push(
      `orphan reservation ${r.uuid}: project ${r.projectId} ${r.resource} ${r.delta}${done(r.fixed)}`,
    );
  }
  for (const p of report.skippedProjects)
    lines.push(
      `skipped: project ${p} has reservations in flight; in_use left alone, run the audit again later`,
    );
  const findings = [...report.drift, ...reservedDrift, ...expired, ...orphans];
  const unfixed = findings.filter((f) => !f.fixed).length;
  lines.push(
    `${report.projectsChecked} project(s) checked, ${findings.length} finding(s)` +
      (fix ? `, ${findings.length - unfixed} fixed` : '') +
      (findings.length === 0 ? ': usage is exact' : ''),
  );
  return { lines, code: !fix && unfixed > 0 ? 1 : 0 };
}

async function quotaAudit(
  command: Extract<ClientCommand, { kind: 'quota:audit' }>,
  config: Config,
  logger: Logger,
  io: ClientIo,
): Promise<number> {
  const resources = new ProcessResources(config, logger);
  try {
    const report = await runUsageAudit(await resources.dataSource(), {
      fix: command.fix,
      ...(command.projectId !== undefined ? { projectId: command.projectId } : {}),
    });
    const { lines, code } = formatAudit(report, command.fix);
    for (const line of lines) io.stdout(line);
    return code;
  } catch (err) {
    logger.error('quota:audit failed', { err });
    io.stderr(
      `cinder-ts: quota:audit failed: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`,
    );
    return 1;
  } finally {
    await resources.close();
  }
}
