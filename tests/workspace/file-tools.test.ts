// The file tools as the model calls them: results, diffs, errors it can act on, and output caps.
import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { READ_ONLY_TOOLS, TOOL_NAMES, toolDeclarations } from '../../activities/tools/definitions.ts';
import { executeTool, TOOL_OUTPUT_LIMIT } from '../../activities/tools/execute-tool.ts';
import type { Workspace } from '../../activities/workspace/driver.ts';
import { capText } from '../../common/cap-text.ts';
import { tempWorkspaces } from '../helpers/temp-workspaces.ts';

const temp = tempWorkspaces('file-tools');
let workspace: Workspace;

beforeAll(async () => {
  workspace = await temp.driver.prepare('files', { type: 'empty' });
});

const run = (tool: string, input: unknown) => executeTool(workspace, tool, input);
const onDisk = (file: string) => fs.readFile(path.join(workspace.root, file), 'utf8');

describe('write_file and edit_file', () => {
  it('creates, overwrites and edits a file, reporting counts and a unified diff', async () => {
    const created = await run('write_file', { path: 'src/a.ts', content: 'const a = 1;\nconst b = 2;\nconst c = 3;\n' });
    expect(created.isError).toBe(false);
    expect(created.output.split('\n')[0]).toBe('Created src/a.ts (+3/-0)');
    expect(created.change).toMatchObject({ path: 'src/a.ts', added: 3, removed: 0 });

    const edited = await run('edit_file', { path: 'src/a.ts', oldText: 'const b = 2;\n', newText: 'const b = 20;\nconst bb = 21;\n' });
    expect(edited.isError).toBe(false);
    expect(edited.change).toMatchObject({ path: 'src/a.ts', added: 2, removed: 1 });
    expect(edited.output).toBe(
      [
        'Edited src/a.ts (+2/-1)',
        '',
        '--- a/src/a.ts',
        '+++ b/src/a.ts',
        '@@ -1,3 +1,4 @@',
        ' const a = 1;',
        '-const b = 2;',
        '+const b = 20;',
        '+const bb = 21;',
        ' const c = 3;',
        '',
      ].join('\n'),
    );
    expect(await onDisk('src/a.ts')).toBe('const a = 1;\nconst b = 20;\nconst bb = 21;\nconst c = 3;\n');

    const rewritten = await run('write_file', { path: 'src/a.ts', content: 'const a = 1;\n' });
    expect(rewritten.output.split('\n')[0]).toBe('Wrote src/a.ts (+0/-3)');
  });

  it('inserts newText literally (no $& replacement patterns)', async () => {
    await run('write_file', { path: 'dollar.txt', content: 'price: X\n' });
    await run('edit_file', { path: 'dollar.txt', oldText: 'X', newText: "$& $' $1" });
    expect(await onDisk('dollar.txt')).toBe("price: $& $' $1\n");
  });

  it('says whether oldText is missing or occurs more than once, and changes nothing', async () => {
    await run('write_file', { path: 'twice.txt', content: 'same\nsame\nother\n' });

    const missing = await run('edit_file', { path: 'twice.txt', oldText: 'absent', newText: 'x' });
    expect(missing.isError).toBe(true);
    expect(missing.output).toMatch(/^oldText was not found in "twice.txt"/);

    const ambiguous = await run('edit_file', { path: 'twice.txt', oldText: 'same', newText: 'x' });
    expect(ambiguous.isError).toBe(true);
    expect(ambiguous.output).toMatch(/^oldText occurs 2 times in "twice.txt"; include more surrounding lines/);

    const noFile = await run('edit_file', { path: 'nope.txt', oldText: 'a', newText: 'b' });
    expect(noFile).toMatchObject({ isError: true, output: 'file "nope.txt" does not exist; use write_file to create it' });
    expect(await onDisk('twice.txt')).toBe('same\nsame\nother\n');
  });

  it('reports a missing file or a folder to read_file as errors the model can act on', async () => {
    expect(await run('read_file', { path: 'missing.txt' })).toEqual({ output: '"missing.txt" does not exist', isError: true });
    const folder = await run('read_file', { path: 'src' });
    expect(folder.isError).toBe(true);
    expect(folder.output).toContain('is a folder');
  });
});

describe('list_files and search', () => {
  beforeAll(async () => {
    const files: Record<string, string> = {
      'search/top.ts': 'export {};\n',
      'search/lib/deep/b.ts': 'export {};\n',
      'search/lib/a.ts': 'export {};\n',
      'search/lib/readme.md': '# lib\n',
      'search/node_modules/dep/index.ts': 'export {};\n',
      'search/.git/hooks.ts': 'export {};\n',
      'search/notes.txt': ['one', 'two', 'three', 'four', 'needle here', 'six', 'seven', 'eight', 'nine', 'ten', 'needle again', 'twelve'].join('\n'),
    };
    for (const [file, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(workspace.root, file)), { recursive: true });
      await fs.writeFile(path.join(workspace.root, file), content);
    }
  });

  it('lists files matching a glob, sorted, skipping .git and node_modules', async () => {
    const listed = await run('list_files', { pattern: 'search/**/*.ts' });
    expect(listed.output.split('\n')).toEqual(['search/lib/a.ts', 'search/lib/deep/b.ts', 'search/top.ts']);
    expect((await run('list_files', { pattern: 'search/*.ts' })).output).toBe('search/top.ts');
    const deps = await run('list_files', { pattern: 'search/node_modules/**/*.ts' });
    expect(deps.output).toBe('search/node_modules/dep/index.ts');
    expect(await run('list_files', { pattern: '**/*.rs' })).toEqual({ output: 'No files match "**/*.rs".', isError: false });
    expect((await run('list_files', { pattern: '../**' })).isError).toBe(true);
  });

  it('searches with a regex and shows 2 lines of context around each match', async () => {
    const found = await run('search', { pattern: 'needle \\w+', path: 'search' });
    expect(found.output).toBe(
      [
        'search/notes.txt-3- three',
        'search/notes.txt-4- four',
        'search/notes.txt:5: needle here',
        'search/notes.txt-6- six',
        'search/notes.txt-7- seven',
        '--',
        'search/notes.txt-9- nine',
        'search/notes.txt-10- ten',
        'search/notes.txt:11: needle again',
        'search/notes.txt-12- twelve',
      ].join('\n'),
    );
    expect((await run('search', { pattern: 'export', path: 'search/lib/a.ts' })).output).toBe('search/lib/a.ts:1: export {};');
    const invalid = await run('search', { pattern: '(unclosed' });
    expect(invalid.isError).toBe(true);
    expect(invalid.output).toMatch(/^invalid regular expression "\(unclosed"/);
  });
});

describe('tool input and output', () => {
  it('turns malformed input and unknown tools into errors naming the problem', async () => {
    const wrongType = await run('read_file', { path: 3 });
    expect(wrongType.isError).toBe(true);
    expect(wrongType.output).toMatch(/^invalid input for read_file: path: .*expected string, received number/);

    const missing = await run('write_file', { path: 'x.txt' });
    expect(missing.isError).toBe(true);
    expect(missing.output).toMatch(/^invalid input for write_file: content: /);
    await expect(fs.access(path.join(workspace.root, 'x.txt'))).rejects.toThrow();

    const tooLong = await run('run_command', { command: 'true', timeoutMs: 11 * 60_000 });
    expect(tooLong.isError).toBe(true);
    expect(tooLong.output).toContain('timeoutMs');

    expect((await run('read_file', null)).isError).toBe(true);
    expect(await run('delete_everything', {})).toEqual({ output: 'unknown tool "delete_everything"', isError: true });
    expect((await run('propose_plan', { plan: 'do it' })).isError).toBe(true);
  });

  it('caps long outputs with a marker saying how much was cut', async () => {
    await fs.writeFile(path.join(workspace.root, 'big.txt'), 'y'.repeat(TOOL_OUTPUT_LIMIT + 5_000));
    const read = await run('read_file', { path: 'big.txt' });
    expect(read.output).toBe(`${'y'.repeat(TOOL_OUTPUT_LIMIT)}\n…[truncated: 5000 more characters]`);
    expect(capText('abcdef', 4, 'tail')).toBe('…[truncated: 2 earlier characters]\ncdef');
    expect(capText('abc', 4)).toBe('abc');
  });

  it('declares tools to the model without an execute function', () => {
    const all = toolDeclarations(TOOL_NAMES);
    expect(Object.keys(all)).toEqual([...TOOL_NAMES]);
    expect(Object.values(all).every((declared) => declared.execute === undefined && typeof declared.description === 'string')).toBe(true);
    expect(Object.keys(toolDeclarations(READ_ONLY_TOOLS))).toEqual(['read_file', 'list_files', 'search']);
  });
});
