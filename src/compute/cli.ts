/**
 * The compute commands of the CLI, as a function `src/bin` can call (it never exits or listens):
 *
 *   server create --vcpus N --ram MB --disk GB [--name NAME] [--wait]
 *   server show UUID
 *   hypervisor list
 *
 * Output is one JSON document on `out`; a usage error or a failed lookup is one line on `err` and
 * a non-zero code (2 for usage, 1 for anything else).
 */
import { InstanceNotFoundError, ObjectActionError } from '../objects/errors';
import type { Instance } from '../objects/instance';
import type { RequestContext } from '../rpc/context';
import type { ComputeApi } from './api';

export const COMPUTE_CLI_USAGE = `usage:
  server create --vcpus N --ram MB --disk GB [--name NAME] [--wait]
  server show UUID
  hypervisor list`;

export interface ComputeCliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** How long `--wait` waits for ACTIVE or ERROR. @default 60000 */
  readonly waitTimeoutMs?: number;
}

class CliUsageError extends Error {}

function view(i: Instance): Record<string, unknown> {
  return {
    id: i.uuid,
    name: i.displayName,
    status: (i.vmState ?? 'building').toUpperCase(),
    taskState: i.taskState,
    host: i.host,
    node: i.node,
    vcpus: i.vcpus,
    ramMb: i.memoryMb,
    diskGb: i.rootGb,
  };
}

function parseFlags(
  args: readonly string[],
  allowed: Record<string, 'int' | 'string' | 'bool'>,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    const kind = allowed[a];
    if (kind === undefined) throw new CliUsageError(`unknown argument ${a}`);
    if (kind === 'bool') {
      out[a] = true;
      continue;
    }
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new CliUsageError(`${a} needs a value`);
    if (kind === 'int') {
      if (!/^\d+$/.test(v)) throw new CliUsageError(`${a} must be a whole number, got '${v}'`);
      out[a] = Number(v);
    } else {
      out[a] = v;
    }
    i += 1;
  }
  return out;
}

export async function runComputeCommand(
  argv: readonly string[],
  api: ComputeApi,
  ctx: RequestContext,
  io: ComputeCliIo,
): Promise<number> {
  try {
    const [noun, verb, ...rest] = argv;
    if (noun === 'hypervisor' && verb === 'list' && rest.length === 0) {
      io.out(JSON.stringify({ hypervisors: await api.listHypervisors(ctx) }, null, 2));
      return 0;
    }
    if (noun === 'server' && verb === 'show' && rest.length === 1) {
      io.out(JSON.stringify({ server: view(await api.getInstance(ctx, rest[0]!)) }, null, 2));
      return 0;
    }
    if (noun === 'server' && verb === 'create') {
      const f = parseFlags(rest, {
        '--vcpus': 'int',
        '--ram': 'int',
        '--disk': 'int',
        '--name': 'string',
        '--wait': 'bool',
      });
      for (const req of ['--vcpus', '--ram', '--disk'])
        if (f[req] === undefined) throw new CliUsageError(`${req} is required`);
      let instance = await api.createInstance(ctx, {
        vcpus: f['--vcpus'] as number,
        memoryMb: f['--ram'] as number,
        rootGb: f['--disk'] as number,
        ...(f['--name'] !== undefined ? { displayName: f['--name'] as string } : {}),
      });
      if (f['--wait'] === true) {
        const deadline = Date.now() + (io.waitTimeoutMs ?? 60_000);
        for (;;) {
          instance = await api.getInstance(ctx, instance.uuid);
          if (instance.vmState === 'active' || instance.vmState === 'error' || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      io.out(JSON.stringify({ server: view(instance) }, null, 2));
      return instance.vmState === 'error' ? 1 : 0;
    }
    throw new CliUsageError(`unknown command: ${argv.join(' ') || '(none)'}`);
  } catch (e) {
    if (e instanceof CliUsageError) {
      io.err(`${e.message}\n${COMPUTE_CLI_USAGE}`);
      return 2;
    }
    if (e instanceof ObjectActionError || e instanceof InstanceNotFoundError) {
      io.err(e.message);
      return e instanceof ObjectActionError ? 2 : 1;
    }
    throw e;
  }
}
