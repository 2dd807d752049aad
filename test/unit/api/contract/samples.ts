/**
 * Reads the request/response pairs recorded from Cinder 21 in test/fixtures/cinder-api-samples.md (a copy
 * of shared/API_SAMPLES.md): every `### title` section with an `http` Request block and Response block.
 * Bodies are taken from the `(raw on the wire: …)` line when there is one (the exact bytes), else from the
 * pretty JSON; the two bodies the recorder only described (`{"volume": {"size": 1, "metadata":
 * {"key00000": "vvvv...(200)", ... 600 keys}}}`) are rebuilt to the same size.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SAMPLES_FILE = path.join(__dirname, '../../../fixtures/cinder-api-samples.md');

export interface RecordedRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly path: string;
  /** Header name (lower case) → value. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body sent, or null for none. */
  readonly body: string | null;
}

export interface RecordedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body as recorded (trimmed lists keep a `"... (N more items trimmed)"` element), or null. */
  readonly body: string | null;
  /** Whether the recorder trimmed the body (long lists/dicts). */
  readonly trimmed: boolean;
}

export interface Sample {
  readonly section: string;
  readonly title: string;
  readonly request: RecordedRequest;
  readonly response: RecordedResponse;
}

const RAW = /^\(raw on the wire: (.*)\)$/s;

function httpBlocks(lines: readonly string[], from: number, to: number): string[][] {
  const blocks: string[][] = [];
  for (let i = from; i < to; i++) {
    if (lines[i] !== '```http') continue;
    const block: string[] = [];
    for (i++; i < to && lines[i] !== '```'; i++) block.push(lines[i]!);
    blocks.push(block);
  }
  return blocks;
}

function splitHead(block: readonly string[]): {
  first: string;
  headers: Record<string, string>;
  body: string[];
} {
  const headers: Record<string, string> = {};
  let i = 1;
  for (; i < block.length && block[i] !== ''; i++) {
    const line = block[i]!;
    const c = line.indexOf(':');
    headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }
  // The request blocks have two blank lines when there are no headers to end.
  while (i < block.length && block[i] === '') i++;
  return { first: block[0]!, headers, body: block.slice(i) };
}

function described(text: string): string | null {
  const m =
    /^\{"volume": \{"size": 1, "metadata": \{"key(0+)": "vvvv\.\.\.\((\d+)\)", \.\.\. (\d+) keys\}\}\}/.exec(
      text,
    );
  if (m === null) return null;
  const [width, valueLen, keys] = [m[1]!.length, Number(m[2]), Number(m[3])];
  const metadata: Record<string, string> = {};
  for (let k = 0; k < keys; k++) metadata[`key${String(k).padStart(width, '0')}`] = 'v'.repeat(valueLen);
  return JSON.stringify({ volume: { size: 1, metadata } });
}

function bodyOf(lines: readonly string[]): { body: string | null; trimmed: boolean } {
  let trimmed = false;
  const kept: string[] = [];
  let raw: string | null = null;
  for (const line of lines) {
    const m = RAW.exec(line);
    if (m !== null) {
      raw = m[1]!;
      continue;
    }
    if (/^\(trimmed, original \d+ bytes\)$/.test(line)) {
      trimmed = true;
      continue;
    }
    kept.push(line);
  }
  if (raw !== null) return { body: raw, trimmed };
  const text = kept.join('\n').trim();
  if (text === '' || text === '(empty)') return { body: null, trimmed };
  return { body: described(text) ?? text, trimmed };
}

/** Every recorded pair, in recording order. */
export function loadSamples(file = SAMPLES_FILE): Sample[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: Sample[] = [];
  let section = '';
  const heads: { title: string; section: string; at: number }[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('## ')) section = line.slice(3).trim();
    if (line.startsWith('### ')) heads.push({ title: line.slice(4).trim(), section, at: i });
  });
  heads.forEach((h, n) => {
    const end = n + 1 < heads.length ? heads[n + 1]!.at : lines.length;
    const blocks = httpBlocks(lines, h.at, end);
    if (blocks.length < 2) return;
    const req = splitHead(blocks[0]!);
    const res = splitHead(blocks[1]!);
    const [method, target] = req.first.split(' ') as [string, string];
    const status = Number(res.first.split(' ')[1]);
    const resBody = bodyOf(res.body);
    out.push({
      section: h.section,
      title: h.title,
      request: { method, path: target, headers: req.headers, body: bodyOf(req.body).body },
      response: { status, headers: res.headers, body: resBody.body, trimmed: resBody.trimmed },
    });
  });
  return out;
}
