// Workspaces are created from a template once: empty, a copied folder, or a git clone at a ref.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, tempWorkspaces } from '../helpers/temp-workspaces.ts';

const temp = tempWorkspaces('templates');

async function writeFiles(root: string, files: Record<string, string>) {
  for (const [file, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await fs.writeFile(path.join(root, file), content);
  }
}

describe('workspace templates', () => {
  it('creates an empty workspace', async () => {
    const workspace = await temp.driver.prepare('empty-1', { type: 'empty' });
    expect(workspace.root).toBe(path.join(temp.dir, 'ws', 'empty-1'));
    expect(await fs.readdir(workspace.root)).toEqual([]);
  });

  it('copies a local folder, leaving the source alone', async () => {
    const source = path.join(temp.dir, 'source-folder');
    await writeFiles(source, { 'a.txt': 'a\n', 'sub/b.txt': 'b\n' });
    const workspace = await temp.driver.prepare('path-1', { type: 'path', path: source });
    expect(await workspace.readFile('sub/b.txt')).toBe('b\n');
    await workspace.writeFile('a.txt', 'changed\n');
    expect(await fs.readFile(path.join(source, 'a.txt'), 'utf8')).toBe('a\n');
    await expect(temp.driver.prepare('path-2', { type: 'path', path: path.join(temp.dir, 'no-such-folder') })).rejects.toThrow(/is not a folder/);
    await expect(temp.driver.open('path-2')).rejects.toThrow('workspace path-2 does not exist');
  });

  it('clones a git repository, at a ref when given', async () => {
    const repo = path.join(temp.dir, 'source-repo');
    await writeFiles(repo, { 'version.txt': 'main\n' });
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'main');
    git(repo, 'checkout', '-q', '-b', 'feature');
    await writeFiles(repo, { 'version.txt': 'feature\n' });
    git(repo, 'commit', '-q', '-am', 'feature');
    git(repo, 'checkout', '-q', 'main');

    const onMain = await temp.driver.prepare('git-1', { type: 'git', url: repo });
    expect(await onMain.readFile('version.txt')).toBe('main\n');
    expect(git(onMain.root, 'status', '--porcelain')).toBe('');

    const onFeature = await temp.driver.prepare('git-2', { type: 'git', url: repo, ref: 'feature' });
    expect(await onFeature.readFile('version.txt')).toBe('feature\n');
    expect(git(onFeature.root, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('feature');

    await expect(temp.driver.prepare('git-3', { type: 'git', url: path.join(temp.dir, 'no-such-repo') })).rejects.toThrow();
    // A failed prepare leaves nothing behind, so a retry starts clean.
    expect((await fs.readdir(path.join(temp.dir, 'ws'))).filter((name) => name.includes('git-3'))).toEqual([]);
  });

  it('clones over http with credentials in the URL, and the clone keeps its origin without them', async () => {
    const source = path.join(temp.dir, 'served-source');
    await writeFiles(source, { 'README.md': 'served\n' });
    git(source, 'init', '-q');
    git(source, 'add', '.');
    git(source, 'commit', '-q', '-m', 'served');
    const bare = path.join(temp.dir, 'served.git');
    git(temp.dir, 'clone', '-q', '--bare', source, bare);
    git(bare, 'update-server-info');
    // git's "dumb" http protocol: the bare repository's files, served as they are.
    const server = http.createServer(async (request, response) => {
      const file = path.join(bare, decodeURIComponent(new URL(request.url!, 'http://x').pathname).replace(/^\/repo\.git/, ''));
      const body = await fs.readFile(file).catch(() => undefined);
      response.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const workspace = await temp.driver.prepare('http-1', { type: 'git', url: `http://deploy:s3cret-42@127.0.0.1:${port}/repo.git` });
      expect(await workspace.readFile('README.md')).toBe('served\n');
      expect(git(workspace.root, 'remote', 'get-url', 'origin').trim()).toBe(`http://127.0.0.1:${port}/repo.git`);
      expect(await fs.readFile(path.join(workspace.root, '.git', 'config'), 'utf8')).not.toContain('s3cret-42');
    } finally {
      server.close();
    }
  });

  it('keeps an existing workspace as it is when prepared again', async () => {
    const first = await temp.driver.prepare('again-1', { type: 'empty' });
    await first.writeFile('work.txt', 'in progress\n');
    const source = path.join(temp.dir, 'other-source');
    await writeFiles(source, { 'template.txt': 'template\n' });
    const second = await temp.driver.prepare('again-1', { type: 'path', path: source });
    expect(second.root).toBe(first.root);
    expect((await fs.readdir(second.root)).sort()).toEqual(['work.txt']);
    expect(await (await temp.driver.open('again-1')).readFile('work.txt')).toBe('in progress\n');
  });

  it('refuses workspace ids that are not plain names', async () => {
    await expect(temp.driver.prepare('../escape', { type: 'empty' })).rejects.toThrow('invalid workspace id');
    await expect(temp.driver.open('')).rejects.toThrow('invalid workspace id');
  });
});
