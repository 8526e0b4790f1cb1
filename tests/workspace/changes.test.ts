// Baselines: snapshot() records the workspace in a separate git dir, changesSince() lists what a run changed.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, tempWorkspaces } from '../helpers/temp-workspaces.ts';

const temp = tempWorkspaces('changes');

/** Every file under a folder with a hash of its content: equal before and after means untouched. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    result[path.relative(dir, file)] = createHash('sha256')
      .update(await fs.readFile(file))
      .digest('hex');
  }
  return result;
}

describe('snapshot and changesSince', () => {
  it('lists modified, new and deleted files with their counts and diffs', async () => {
    const workspace = await temp.driver.prepare('changes-1', { type: 'empty' });
    await workspace.writeFile('keep.txt', 'same\n');
    await workspace.writeFile('modify.txt', 'one\ntwo\nthree\n');
    await workspace.writeFile('delete.txt', 'gone\nsoon\n');
    await fs.writeFile(path.join(workspace.root, 'image.bin'), Buffer.from([0, 1, 2, 3]));
    await workspace.writeFile('ignored/.gitignore', '*.log\n');
    const baseline = await workspace.snapshot();
    expect(baseline).toMatch(/^[0-9a-f]{40}$/);
    expect((await workspace.changesSince(baseline)).files).toEqual([]);

    await workspace.editFile('modify.txt', 'two\n', 'TWO\ntwo and a half\n');
    await workspace.writeFile('docs/new file ü.md', 'hello\nworld\n');
    await fs.rm(path.join(workspace.root, 'delete.txt'));
    await fs.writeFile(path.join(workspace.root, 'image.bin'), Buffer.from([0, 9, 9]));
    await fs.writeFile(path.join(workspace.root, 'ignored', 'debug.log'), 'noise\n');

    const changes = (await workspace.changesSince(baseline)).files;
    expect(changes.map(({ path, added, removed }) => ({ path, added, removed }))).toEqual([
      { path: 'delete.txt', added: 0, removed: 2 },
      { path: 'docs/new file ü.md', added: 2, removed: 0 },
      { path: 'image.bin', added: 0, removed: 0 },
      { path: 'modify.txt', added: 2, removed: 1 },
    ]);
    const [deleted, created, binary, modified] = changes;
    expect(deleted!.diff).toContain('deleted file mode');
    expect(deleted!.diff).toContain('-gone\n-soon\n');
    expect(created!.diff).toContain('new file mode');
    expect(created!.diff).toContain('+hello\n+world\n');
    expect(binary!.diff).toContain('Binary files');
    expect(modified!.diff).toContain('--- a/modify.txt\n+++ b/modify.txt\n');
    expect(modified!.diff).toContain(' one\n-two\n+TWO\n+two and a half\n three\n');

    // A later baseline starts from the changed state; the earlier one still answers the same.
    const next = await workspace.snapshot();
    expect((await workspace.changesSince(next)).files).toEqual([]);
    expect((await workspace.changesSince(baseline)).files).toEqual(changes);
  });

  it("leaves a workspace's own git repository untouched", async () => {
    const repo = path.join(temp.dir, 'source-repo');
    await fs.mkdir(repo);
    await fs.writeFile(path.join(repo, 'app.ts'), 'export const version = 1;\n');
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'first');

    const workspace = await temp.driver.prepare('changes-2', { type: 'git', url: repo });
    const gitDir = path.join(workspace.root, '.git');
    const before = await fingerprint(gitDir);
    const baseline = await workspace.snapshot();
    await workspace.editFile('app.ts', 'version = 1', 'version = 2');
    const changes = (await workspace.changesSince(baseline)).files;
    expect(changes.map((change) => change.path)).toEqual(['app.ts']);
    expect(await fingerprint(gitDir)).toEqual(before);
    // The workspace's repository still sees the change as its own, unstaged.
    expect(git(workspace.root, 'status', '--porcelain')).toBe(' M app.ts\n');
    await expect(fs.access(path.join(temp.dir, 'baselines', 'changes-2.git', 'HEAD'))).resolves.toBeUndefined();
  });

  it('counts a file replaced by a symlink once (git gives it two patch sections), and caps what it describes', async () => {
    const workspace = await temp.driver.prepare('changes-3', { type: 'empty' });
    await workspace.writeFile('target.txt', 'target\n');
    await workspace.writeFile('becomes-link.txt', 'a file\n');
    for (let i = 0; i < 5; i++) await workspace.writeFile(`many/f${i}.txt`, `${i}\n`);
    const baseline = await workspace.snapshot();
    await fs.rm(path.join(workspace.root, 'becomes-link.txt'));
    await fs.symlink('target.txt', path.join(workspace.root, 'becomes-link.txt'));
    for (let i = 0; i < 5; i++) await workspace.writeFile(`many/f${i}.txt`, `${i}!\n`);

    const all = await workspace.changesSince(baseline);
    expect(all.total).toBe(6);
    const link = all.files.find((f) => f.path === 'becomes-link.txt')!;
    expect(link.diff).toContain('deleted file mode');
    expect(link.diff).toContain('new file mode 120000');

    const capped = await workspace.changesSince(baseline, { maxFiles: 2, maxTotalDiffChars: link.diff.length + 10 });
    expect(capped.total).toBe(6);
    expect(capped.files.map((f) => f.path)).toEqual(['becomes-link.txt', 'many/f0.txt']);
    expect(capped.files[1]!.diff).toContain('[diff not stored');

    // A file too large to diff (one 3 MB line) keeps its counts, without a diff.
    await workspace.writeFile('bundle.min.js', `${'x'.repeat(3 * 1024 * 1024)}\n`);
    const big = (await workspace.changesSince(baseline)).files.find((f) => f.path === 'bundle.min.js')!;
    expect(big).toMatchObject({ added: 1, removed: 0, diff: expect.stringContaining('[diff not shown: the file is') });
  });
});
