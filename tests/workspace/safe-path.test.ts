// The file tools must stay inside the workspace: `..`, absolute paths and symlinks that lead out are refused.
import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { executeTool } from '../../activities/tools/execute-tool.ts';
import type { Workspace } from '../../activities/workspace/driver.ts';
import { tempWorkspaces } from '../helpers/temp-workspaces.ts';

const temp = tempWorkspaces('safe-path');
let outside: string;
let workspace: Workspace;

beforeAll(async () => {
  outside = path.join(temp.dir, 'outside');
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, 'secret.txt'), 'top secret\n');
  workspace = await temp.driver.prepare('paths', { type: 'empty' });
  await fs.writeFile(path.join(workspace.root, 'inside.txt'), 'inside\n');
  await fs.symlink(path.join(outside, 'secret.txt'), path.join(workspace.root, 'file-link'));
  await fs.symlink(outside, path.join(workspace.root, 'dir-link'));
  await fs.symlink(path.join(outside, 'not-yet.txt'), path.join(workspace.root, 'dangling-link'));
  await fs.symlink('inside.txt', path.join(workspace.root, 'inner-link'));
});

const run = (tool: string, input: unknown) => executeTool(workspace, tool, input);

describe('paths outside the workspace are refused', () => {
  it('refuses .. escapes, for reading and for writing', async () => {
    const read = await run('read_file', { path: '../outside/secret.txt' });
    expect(read).toMatchObject({ isError: true, output: 'path "../outside/secret.txt" is outside the workspace' });

    const write = await run('write_file', { path: 'sub/../../escaped.txt', content: 'x' });
    expect(write.isError).toBe(true);
    expect(write.output).toContain('outside the workspace');
    await expect(fs.access(path.join(temp.dir, 'ws', 'escaped.txt'))).rejects.toThrow();
  });

  it('refuses absolute paths', async () => {
    const read = await run('read_file', { path: '/etc/passwd' });
    expect(read.isError).toBe(true);
    expect(read.output).toMatch(/^path "\/etc\/passwd" is absolute; give a path relative to the workspace root/);
  });

  it('refuses a symlinked file that points outside, for reading and for writing', async () => {
    const read = await run('read_file', { path: 'file-link' });
    expect(read.isError).toBe(true);
    expect(read.output).toContain('outside the workspace');
    expect(read.output).not.toContain('top secret');

    const write = await run('write_file', { path: 'file-link', content: 'overwritten' });
    expect(write.isError).toBe(true);
    const edit = await run('edit_file', { path: 'file-link', oldText: 'top', newText: 'no' });
    expect(edit.isError).toBe(true);
    expect(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret\n');
  });

  it('refuses a dangling symlink that would create a file outside', async () => {
    const write = await run('write_file', { path: 'dangling-link', content: 'x' });
    expect(write.isError).toBe(true);
    await expect(fs.access(path.join(outside, 'not-yet.txt'))).rejects.toThrow();
  });

  it('refuses a symlinked folder that points outside, for existing and new files', async () => {
    const read = await run('read_file', { path: 'dir-link/secret.txt' });
    expect(read.isError).toBe(true);
    expect(read.output).toContain('outside the workspace');

    const write = await run('write_file', { path: 'dir-link/new/file.txt', content: 'x' });
    expect(write.isError).toBe(true);
    await expect(fs.access(path.join(outside, 'new'))).rejects.toThrow();

    const search = await run('search', { pattern: 'secret', path: 'dir-link' });
    expect(search.isError).toBe(true);
  });

  it('does not list or search through links that lead outside', async () => {
    const listed = await run('list_files', { pattern: '**/*' });
    expect(listed.output.split('\n')).toEqual(['inner-link', 'inside.txt']);
    const search = await run('search', { pattern: 'secret' });
    expect(search.output).toBe('No matches for /secret/.');
  });

  it('accepts normal nested paths and symlinks that stay inside', async () => {
    const write = await run('write_file', { path: 'a/b/c.txt', content: 'nested\n' });
    expect(write).toMatchObject({ isError: false, change: { path: 'a/b/c.txt', added: 1, removed: 0 } });
    expect(await run('read_file', { path: './a/b/../b/c.txt' })).toEqual({ output: 'nested\n', isError: false });
    expect(await run('read_file', { path: 'inner-link' })).toEqual({ output: 'inside\n', isError: false });
  });
});
