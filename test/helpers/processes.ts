/**
 * Starts `src/bin/main.ts` as real processes (the TypeScript sources, transpiled on load) and talks
 * HTTP to them: for the start tests (all-in-one and one process per service) and the multi-process
 * end-to-end suites (see `./deployment.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'src/bin/main.ts');
const REGISTER = path.join(ROOT, 'test/helpers/register-ts.js');

export interface Proc {
  readonly child: ChildProcess;
  /** The command-line arguments after main.ts. */
  readonly args: readonly string[];
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; stderr: string }>;
  /** Resolves with the first log line that matches. */
  waitFor(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM (a graceful stop) and the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process dies without stopping anything (a crashed or killed service). */
  kill(): Promise<void>;
}

export function startProcess(args: string[], env: NodeJS.ProcessEnv, cwd: string): Proc {
  const child = spawn(process.execPath, ['-r', REGISTER, MAIN, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: Array<{
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }> = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  );
  return {
    child,
    args,
    lines,
    exited,
    waitFor(match, timeoutMs = 30_000) {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching log line in time; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then(({ code }) => {
          clearTimeout(timer); // a dead process must not keep the test runner waiting for the timeout
          reject(new Error(`exited with ${code}: ${stderr}`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return (await exited).code;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export function httpJson(
  port: number,
  method: string,
  urlPath: string,
  token: string,
  body?: unknown,
  /** Fail (instead of waiting forever) when no complete answer came in this long. */
  timeoutMs?: number,
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent: false,
        headers: {
          'X-Auth-Token': token,
          ...(data !== undefined
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let parsed: Record<string, unknown> | null = null;
          try {
            parsed = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            parsed = null;
          }
          resolve({ status: res.statusCode!, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (timeoutMs !== undefined) {
      req.setTimeout(timeoutMs, () =>
        req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeoutMs} ms`)),
      );
    }
    if (data !== undefined) req.write(data);
    req.end();
  });
}

/** Polls GET /volumes/{id} (as admin, to see the host) until `done` holds. */
export async function pollVolume(
  port: number,
  project: string,
  id: string,
  done: (status: number, volume: Record<string, unknown> | undefined) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown> | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await httpJson(port, 'GET', `/v3/${project}/volumes/${id}`, `admin:${project}`);
    const v = res.body?.['volume'] as Record<string, unknown> | undefined;
    if (done(res.status, v)) return v;
    if (Date.now() > end)
      throw new Error(`volume ${id} did not settle: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
