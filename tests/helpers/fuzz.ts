import http from 'node:http';
import { sql } from 'drizzle-orm';
import { storableText } from '../../common/storable-text.ts';
import type { Database } from '../../db/client.ts';

import type { Rng } from './seeded-random.ts';

export { mulberry32, type Rng } from './seeded-random.ts';

export const int = (rng: Rng, n: number) => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, list: readonly T[]): T => list[int(rng, list.length)]!;
export const chance = (rng: Rng, p: number) => rng() < p;

/** Picks a generator by weight and runs it. */
export function weighted<T>(rng: Rng, options: ReadonlyArray<readonly [number, () => T]>): T {
  const total = options.reduce((sum, [w]) => sum + w, 0);
  let r = rng() * total;
  for (const [w, make] of options) {
    r -= w;
    if (r < 0) return make();
  }
  return options.at(-1)![1]();
}

/** JSON text spliced raw into a body (what JSON.stringify cannot produce: 10,000 levels, 1e400, -0, long integers). */
export class Raw {
  readonly text: string;
  readonly label: string;
  constructor(text: string, label: string) {
    this.text = text;
    this.label = label;
  }
}

/** JSON.stringify, with every Raw value written as its raw text. */
export function jsonWithRaw(value: unknown): string {
  const raws: Raw[] = [];
  const text = JSON.stringify(value, (_key, v) => {
    if (v instanceof Raw) {
      raws.push(v);
      return `@@RAW${raws.length - 1}@@`;
    }
    return v;
  });
  return text === undefined ? '' : text.replace(/"@@RAW(\d+)@@"/g, (_m, i) => raws[Number(i)]!.text);
}

/** A short, printable description of a value (for failure messages). */
export function preview(value: unknown, max = 300): string {
  if (value instanceof Raw) return `<raw ${value.label}>`;
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value instanceof Uint8Array) text = `<${value.length} bytes: ${Buffer.from(value.subarray(0, 60)).toString('hex')}…>`;
  else text = jsonWithRaw(value).replace(/\[{20,}/g, (m) => `<${m.length} × [>`);
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

export const deepArrays = (depth: number) => new Raw(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${depth} nested arrays`);
export const deepObjects = (depth: number, key = 'a') =>
  new Raw(`${`{"${key}":`.repeat(depth)}1${'}'.repeat(depth)}`, `${depth} nested objects {"${key}":…}`);

const MB = 1024 * 1024;

const NUL = ['\u0000', 'a\u0000', '\u0000b', 'abc\u0000def', `${'x'.repeat(50)}\u0000`, 'T-1\u0000', 'demo\u0000'];
const SURROGATES = ['\ud800', '\udfff', 'a\ud800b', '\udfff\ud800', 'ok\ud83d', '\ude00', 'x\udbff', `${'a'.repeat(10)}\udc00`];
const ODD_UNICODE = [
  '\u200f',
  '\u202eevil\u202c',
  'e\u0301\u0301\u0301',
  'Z\u0334\u0321\u0327\u031b\u034e\u0353a\u0335\u0328l\u0336g\u0337o',
  '😀',
  '👨‍👩‍👧‍👦',
  '\uffff',
  '\ufffe',
  '\ufeff',
  '\ufeffabc',
  '\u2028\u2029',
  '\u00a0',
  '１２３',
  'שלום',
  'مرحبا',
  '\u0085',
  '\u0001\u001f\u007f',
  'İ',
  'ß',
  '\u200b',
  '𝕏𝕐',
  '🏳️‍🌈',
  '\u0300',
  'Ω≈ç√∫',
  '\u{10ffff}',
  '\u{e0001}\u{e0041}',
  '\ufdd0',
  'a\u0000'.replace('\u0000', '\u2400'),
];
const BLANK = ['', ' ', '   ', '\t', '\n', '\r\n', '\u3000', '\u00a0', '\ufeff', ' \t\n ', '\u2028', '\u000b\u000c'];
const SQLISH = [
  "' OR '1'='1",
  "'; drop table executions; --",
  '\\',
  '%',
  '_',
  '$1',
  "E'\\\\x00'",
  '::uuid',
  'null',
  'NULL',
  'undefined',
  '__proto__',
  'constructor',
  'toString',
  '" OR ""="',
  '1; select pg_sleep(10)',
  '\\x00',
  '\\u0000',
  "') or 1=1 union select id from api_tokens --",
  '*',
  '&|!:*',
  '"unterminated',
];
const PATHISH = [
  '../',
  '../../etc/passwd',
  '..\\..\\windows',
  '/',
  '//',
  '.',
  '..',
  '%2e%2e%2f',
  'a/b',
  '?x=1',
  '#frag',
  '~',
  '/etc/passwd',
  'C:\\',
  'file:///etc/passwd',
  'http://169.254.169.254/',
];
// biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
const INJECTION = ['%s%s%n', '{{7*7}}', '${7*7}', '<script>alert(1)</script>', '\u001b[31mred', 'a\r\nX-Injected: 1', '\r\n\r\n'];
const NUMERIC = ['0', '-1', '1e309', 'NaN', 'Infinity', '0x10', '007', '99999999999999999999', '1.5', ' 1', '１', '-0', '1e-50', '9007199254740993'];
const PLAIN = ['hello', 'T-1', 'x', 'Fix the bug', 'a b c', 'issue:42', 'demo'];

/** Long and boundary-length strings; the 1 MB ones are rare (bodies over 1 MB are a 413). */
function longString(rng: Rng): string {
  return weighted(rng, [
    [4, () => 'a'.repeat(pick(rng, [199, 200, 201, 1000, 4097, 10_000, 100_001]))],
    [3, () => '😀'.repeat(pick(rng, [50, 100, 101, 1000]))],
    [3, () => `${'a'.repeat(pick(rng, [116, 117, 118, 119]))}${'😀'.repeat(5)}\nsecond line`],
    [2, () => 'é'.repeat(300)],
    [1, () => 'y'.repeat(700_000)],
    [1, () => pick(rng, ['x'.repeat(MB), '😀'.repeat(MB / 4), 'z'.repeat(MB + 1)])],
  ]);
}

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

function idLike(rng: Rng, uuid: () => string): string {
  const u = uuid();
  return pick(rng, [
    NIL_UUID,
    u,
    u.toUpperCase(),
    `{${u}}`,
    u.replaceAll('-', ''),
    `${u}x`,
    ` ${u}`,
    `${u} `,
    u.slice(0, 35),
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'Run-1',
    'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
    `${u},${u}`,
  ]);
}

/** A hostile string: NUL, lone surrogates, odd unicode, blanks, long text, SQL-ish and path-ish text, numbers as text. */
export function hostileString(rng: Rng, uuid: () => string = () => '3f1c1f2e-8a4b-4c5d-9e6f-0a1b2c3d4e5f'): string {
  return weighted(rng, [
    [8, () => pick(rng, NUL)],
    [8, () => pick(rng, SURROGATES)],
    [14, () => pick(rng, ODD_UNICODE)],
    [7, () => pick(rng, BLANK)],
    [5, () => longString(rng)],
    [6, () => pick(rng, SQLISH)],
    [5, () => pick(rng, PATHISH)],
    [3, () => pick(rng, INJECTION)],
    [5, () => pick(rng, NUMERIC)],
    [4, () => idLike(rng, uuid)],
    [5, () => pick(rng, PLAIN)],
    [3, () => `${pick(rng, PLAIN)}${pick(rng, [...ODD_UNICODE, ...NUL, ...SURROGATES])}${pick(rng, PLAIN)}`],
  ]);
}

/** A hostile JSON value where a field's value goes: a hostile string, or a wrong type, or 10,000 levels of nesting. */
export function hostileValue(rng: Rng, uuid?: () => string): unknown {
  return weighted<unknown>(rng, [
    [10, () => hostileString(rng, uuid)],
    [
      6,
      () =>
        pick(rng, [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, 1e21, 0.1, -0.000001, 4294967296, 2147483648, true, false, null, [], {}, ['x'], { x: 1 }]),
    ],
    [1, () => pick(rng, [{ $ne: null }, new Raw('{"__proto__":{"polluted":true}}', '__proto__ object'), [null], [[['a']]], { '': '' }])],
    [
      3,
      () =>
        pick(rng, [
          deepArrays(10_000),
          deepArrays(10_000),
          deepObjects(10_000),
          deepArrays(1000),
          deepArrays(100_000),
          deepObjects(10_000, 'properties'),
        ]),
    ],
    [
      2,
      () =>
        pick(rng, [
          new Raw('1e400', '1e400'),
          new Raw('-1e400', '-1e400'),
          new Raw('-0', '-0'),
          new Raw('123456789012345678901234567890', 'a 30-digit integer'),
          new Raw('1E2', '1E2'),
          new Raw('0.0000000000000000000000000001', '1e-28'),
          new Raw(`[${'1,'.repeat(9999)}1]`, 'an array of 10,000 numbers'),
          new Raw('"\\ud800"', 'an escaped lone surrogate'),
          new Raw('"\\u0000"', 'an escaped NUL'),
          new Raw('"a\\udc00\\ud800b"', 'escaped surrogates in the wrong order'),
        ]),
    ],
  ]);
}

/** A hostile field name for an unknown field. */
export const hostileKey = (rng: Rng) =>
  pick(rng, ['priority', '__proto__', 'constructor', '', ' ', '\u0000', '\ud800', 'prompt ', 'PROMPT', '😀', 'a'.repeat(1000), '$where', 'id']);

/** Whole request bodies that are not an object, or not JSON. */
export function hostileBodyText(rng: Rng): string | Uint8Array {
  return weighted<string | Uint8Array>(rng, [
    [
      10,
      () =>
        pick(rng, [
          '',
          ' ',
          'null',
          '[]',
          '"str"',
          '1',
          'true',
          '{',
          '{"a":',
          'not json',
          '\ufeff{}',
          '{}{}',
          '{"a":1,}',
          "{'a':1}",
          '{"a":1}garbage',
          '\u0000',
          '{"\\u0000":1}',
          '{"\\ud800":1}',
          '[{}]',
          'NaN',
          '{"a":NaN}',
          '{"a":undefined}',
          '/* c */ {}',
        ]),
    ],
    [3, () => jsonWithRaw(deepArrays(pick(rng, [10_000, 100_000])))],
    [2, () => jsonWithRaw(deepObjects(10_000))],
    [1, () => `{"a":"${'x'.repeat(MB)}"}`],
    [
      2,
      () =>
        pick(rng, [
          // Bytes that are not UTF-8: a lone surrogate as WTF-8, an overlong '.', 0xFF.
          Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
          Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xae, 0x22, 0x7d]),
          Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
          Buffer.from([0x7b, 0x7d, 0x00]),
        ]),
    ],
  ]);
}

function utf8Bytes(cp: number): number[] {
  // WTF-8: a lone surrogate becomes its 3-byte form (ED A0 80), which is not valid UTF-8.
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/** Percent-encodes every byte but the unreserved ones; a lone surrogate is sent as its (invalid) WTF-8 bytes. */
export function percentEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80 && /[A-Za-z0-9\-._~]/.test(String.fromCharCode(cp))) out += String.fromCharCode(cp);
    else for (const byte of utf8Bytes(cp)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent-encoding tricks for a path segment or query value: %00, invalid and truncated sequences, double encoding. */
export const RAW_ENCODINGS = [
  '%00',
  '%E0%A4%A',
  '%',
  '%zz',
  '%2F',
  '%252F',
  '%C0%AE',
  '%ED%A0%80',
  '%EF%BB%BF',
  '%u0000',
  '%0',
  '%00%E0%A4%A',
  'a%00b%E0%A4%A',
  '%2e%2e',
  '..%2F..%2F',
  '%FF',
  '%F4%90%80%80',
];

/** A value for a URL: percent-encoded, or with a raw encoding trick around it. */
export function urlValue(rng: Rng, value: string): string {
  return weighted(rng, [
    [8, () => percentEncode(value)],
    [1, () => pick(rng, RAW_ENCODINGS)],
    [1, () => `${percentEncode(value)}${pick(rng, RAW_ENCODINGS)}`],
    [0.5, () => `${pick(rng, RAW_ENCODINGS)}${percentEncode(value)}`],
  ]);
}

/** A query value or path parameter as Hono decodes it: whole, or each run of %XX alone where the whole is not valid UTF-8. */
export function routerDecode(encoded: string): string {
  if (!encoded.includes('%')) return encoded;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
  }
}

/** How a router might decode a path segment: whole, or sequence by sequence where the whole fails (Hono). */
export function decodings(segment: string): string[] {
  const out = new Set<string>([segment]);
  try {
    out.add(decodeURIComponent(segment));
  } catch {
    const partial = segment.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
    out.add(partial);
  }
  for (const s of [...out]) out.add(s.trim());
  return [...out].map(storableText);
}

export interface CountScope {
  ownerId: string;
  /** Executions whose own work may write meanwhile (a run started by an accepted request): their rows are left out. */
  busy: string[];
  /** Uuids a request names (its path, its message): executions, runs, tool calls. */
  uuids: string[];
  /** Agent and project ids a request names. */
  agents: string[];
  projects: string[];
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => uuidPattern.test(value);

/**
 * Row counts of every table, restricted to the rows a request of this owner naming these ids could
 * write (see tests/helpers/row-counts.ts for why per owner: other test files write meanwhile), minus
 * the rows of executions at work in the background. One round trip.
 */
export async function scopedRowCounts(db: Database, scope: CountScope): Promise<Record<string, number>> {
  const busy = JSON.stringify(scope.busy.filter(isUuid));
  const named = JSON.stringify(scope.uuids.filter(isUuid));
  const agents = JSON.stringify(scope.agents.map(storableText));
  const projects = JSON.stringify(scope.projects.map(storableText));
  const owner = scope.ownerId;
  const result = await db.execute(sql`
    with busy as (select (jsonb_array_elements_text(${busy}::jsonb))::uuid as id),
    named as (select (jsonb_array_elements_text(${named}::jsonb))::uuid as id),
    scope as ((select id from executions where owner_id = ${owner} union select id from named) except select id from busy),
    scope_runs as (
      select id from runs where execution_id in (select id from scope)
      union select id from named where id not in (select r.id from runs r where r.execution_id in (select id from busy))
    )
    select
      (select count(*) from executions where owner_id = ${owner} or id in (select id from named))::int as executions,
      (select count(*) from runs where id in (select id from scope_runs))::int as runs,
      (select count(*) from events where execution_id in (select id from scope)
        or (payload->>'ownerId' = ${owner} and execution_id not in (select id from busy)))::int as events,
      (select count(*) from messages where execution_id in (select id from scope))::int as messages,
      (select count(*) from tool_calls where execution_id in (select id from scope) or run_id in (select id from scope_runs))::int as tool_calls,
      (select count(*) from run_messages where run_id in (select id from scope_runs))::int as run_messages,
      (select count(*) from run_files where run_id in (select id from scope_runs))::int as run_files,
      (select count(*) from progress_entries where execution_id in (select id from scope))::int as progress_entries,
      (select count(*) from api_tokens where user_id = ${owner})::int as api_tokens,
      (select count(*) from agents where id in (select jsonb_array_elements_text(${agents}::jsonb)))::int as agents,
      (select count(*) from projects where id in (select jsonb_array_elements_text(${projects}::jsonb)))::int as projects,
      (select count(*) from project_members where project_id in (select jsonb_array_elements_text(${projects}::jsonb)))::int as project_members
  `);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, number>>;
  return { ...rows[0]! };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * An HTTP request with node:http, so the path goes out exactly as written (fetch would resolve `..`
 * and re-encode), each on a connection of its own: a refusal that costs its connection (an oversized
 * body, see the keep-alive test in tests/api/fuzz.test.ts) or an idle keep-alive connection closing
 * as it is reused cannot then fail the next case.
 */
export function rawRequest(
  baseUrl: string,
  options: { method: string; path: string; headers: Record<string, string>; body?: string | Uint8Array; timeoutMs: number },
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: url.hostname,
      port: url.port,
      method: options.method,
      path: options.path,
      // A length for every body: Node sends a DELETE's without one, and its bytes would read as a next request.
      headers: {
        ...(options.body !== undefined && { 'content-length': String(Buffer.byteLength(options.body)) }),
        ...options.headers,
        connection: 'close',
      },
      agent: false,
    });
    request.setTimeout(options.timeoutMs, () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.end(options.body);
  });
}

/** Opens an SSE request and resolves with its status and headers only (then drops the connection). */
export function sseStatus(baseUrl: string, path: string, headers: Record<string, string>, timeoutMs = 15_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method: 'GET', path, headers, agent: false });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.on('response', (response) => {
      if (response.statusCode && response.statusCode < 300) {
        resolve({ status: response.statusCode, headers: response.headers, text: '' });
        request.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.end();
  });
}

/** A header value node:http can send: the UTF-8 bytes as latin1, without control characters (tab kept). */
export function headerSafe(text: string): string {
  return Buffer.from(text.slice(0, 4000), 'utf8')
    .toString('latin1')
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');
}
