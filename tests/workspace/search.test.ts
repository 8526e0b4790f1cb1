// The search tool runs the model's regex on RE2 (linear time) and yields to the event loop as it
// goes, so no pattern can stop a worker's other activities from heartbeating.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { executeTool } from '../../activities/tools/execute-tool.ts';
import type { Workspace } from '../../activities/workspace/driver.ts';
import { tempWorkspaces } from '../helpers/temp-workspaces.ts';

const temp = tempWorkspaces('search');
let workspace: Workspace;

beforeAll(async () => {
  workspace = await temp.driver.prepare('search', { type: 'empty' });
  const files: Record<string, string> = {
    'redos.txt': `${'a'.repeat(100_000)}b\n`,
    'src/app.ts': [
      'import { x } from "./x";',
      'export const Answer = 42;',
      'const id = "A1";',
      '  if (userName === "bob") return;',
      'export function main() {}',
    ].join('\n'),
    'long-line.txt': `${'a'.repeat(20_000)}\nshort aaa line\n`,
  };
  for (const [file, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(workspace.root, file)), { recursive: true });
    await fs.writeFile(path.join(workspace.root, file), content);
  }
});

const run = (tool: string, input: unknown) => executeTool(workspace, tool, input);

/**
 * Runs `searchWorkspace` in a worker thread, whose event loop counts its own turns (a
 * `setImmediate` that reschedules itself) while the search runs. A search that has not answered
 * after `limitMs` has blocked its thread: the worker is terminated and 'blocked' returned (a
 * blocked event loop could not even run this test's timeout in-process).
 */
async function searchInWorker(pattern: string, userPath: string, limitMs = 20_000): Promise<{ output: string; turns: number } | 'blocked'> {
  // Node itself strips the module's types (the worker runs outside vitest's transform).
  const module = new URL('../../activities/workspace/file-search.ts', import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { searchWorkspace } = await import(workerData.module);
      let turns = 0;
      let searching = true;
      const turn = () => { if (searching) { turns++; setImmediate(turn); } };
      setImmediate(turn);
      const output = await searchWorkspace(workerData.root, workerData.pattern, workerData.userPath);
      searching = false;
      parentPort.postMessage({ output, turns });
    })().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
  `;
  const worker = new Worker(code, { eval: true, workerData: { module, root: workspace.root, pattern, userPath } });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve('blocked'), limitMs);
      worker.once('message', (message: { output: string; turns: number } | { error: string }) => {
        clearTimeout(timer);
        if ('error' in message) reject(new Error(message.error));
        else resolve(message);
      });
      worker.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } finally {
    await worker.terminate();
  }
}

describe('search cannot block the event loop', () => {
  it('runs (a+)+$ over a line of 100,000 "a"s and a "b" in linear time, the event loop turning meanwhile', async () => {
    const searched = await searchInWorker('(a+)+$', 'redos.txt');
    expect(searched).not.toBe('blocked');
    if (searched === 'blocked') return;
    expect(searched.output).toBe('');
    expect(searched.turns).toBeGreaterThanOrEqual(3);
    expect(await run('search', { pattern: '(a+)+$', path: 'redos.txt' })).toEqual({
      output: 'No matches for /(a+)+$/ in redos.txt.',
      isError: false,
    });
  });

  it('does not search a line too long for a large pattern, and says so', async () => {
    const found = await run('search', { pattern: '[ab]{1000}b', path: 'long-line.txt' });
    expect(found.isError).toBe(false);
    expect(found.output).toMatch(
      /^\[1 line\(s\) longer than \d+ characters were not searched with this pattern; a simpler pattern searches longer lines\]$/,
    );
    expect((await run('search', { pattern: 'a{3} line', path: 'long-line.txt' })).output).toBe(
      `long-line.txt-1- ${'a'.repeat(400)}…\nlong-line.txt:2: short aaa line`,
    );
  });
});

describe('patterns RE2 cannot run', () => {
  it('refuses backreferences and lookaround as a tool error naming the feature and an alternative', async () => {
    const backreference = await run('search', { pattern: '(foo|bar)=\\1', path: 'src' });
    expect(backreference.isError).toBe(true);
    expect(backreference.output).toMatch(
      /^pattern "\(foo\|bar\)=\\\\1" uses a backreference \(\\1\), which search does not support: it matches with the linear-time RE2 engine/,
    );
    expect(backreference.output).toContain('Write the repeated text out instead');

    const named = await run('search', { pattern: '(?<q>["\'])x\\k<q>' });
    expect(named).toMatchObject({ isError: true, output: expect.stringContaining('uses a named backreference (\\k<name>)') });

    for (const [pattern, feature] of [
      ['foo(?=bar)', 'a lookahead (?=...)'],
      ['foo(?!bar)', 'a negative lookahead (?!...)'],
      ['(?<=\\$)\\d+', 'a lookbehind (?<=...)'],
      ['(?<!x)y', 'a negative lookbehind (?<!...)'],
    ] as const) {
      const outcome = await run('search', { pattern });
      expect(outcome.isError).toBe(true);
      expect(outcome.output).toContain(`uses ${feature}, which search does not support`);
      expect(outcome.output).toContain('Make the surrounding text part of the match instead');
    }
  });

  it('reports invalid and oversized patterns as tool errors', async () => {
    const invalid = await run('search', { pattern: 'a[b' });
    expect(invalid.isError).toBe(true);
    expect(invalid.output).toMatch(/^invalid regular expression "a\[b": .*missing closing \]/);
    const complex = await run('search', { pattern: '[ab]{1000}'.repeat(11) });
    expect(complex.isError).toBe(true);
    expect(complex.output).toMatch(/is too complex for search \(\d+ regex instructions, at most 10000\)/);
    const long = await run('search', { pattern: 'x'.repeat(1001) });
    expect(long).toMatchObject({ isError: true, output: expect.stringMatching(/^the pattern is too long \(1001 characters, at most 1000\)/) });
  });
});

describe('ordinary patterns', () => {
  it('match with JavaScript-like syntax: classes, escapes, anchors, alternation, flags, groups', async () => {
    const lines = async (pattern: string) => {
      const outcome = await run('search', { pattern, path: 'src/app.ts' });
      expect(outcome.isError).toBe(false);
      return outcome.output
        .split('\n')
        .filter((line) => line.startsWith('src/app.ts:'))
        .map((line) => Number(line.split(':')[1]));
    };
    expect(await lines('\\d+;$')).toEqual([2]);
    expect(await lines('^export\\s+\\w+')).toEqual([2, 5]);
    expect(await lines('[A-Z]\\d')).toEqual([3]);
    expect(await lines('(?i)answer|BOB')).toEqual([2, 4]);
    expect(await lines('answer')).toEqual([]);
    expect(await lines('\\bmain\\(\\)')).toEqual([5]);
    expect(await lines('(?<quote>["\'])\\./x')).toEqual([1]);
    expect(await lines('\\u0041\\x31')).toEqual([3]);
    expect(await lines('[^\\s\\w]{3} "')).toEqual([4]);
    expect(await lines('/x"')).toEqual([1]);
  });
});
