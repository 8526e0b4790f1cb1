import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { WorkspaceDriver } from '../../activities/workspace/driver.ts';
import { createLocalWorkspaceDriver } from '../../activities/workspace/local-driver.ts';

/**
 * A local workspace driver in a temporary folder for one test file: workspaces under `<dir>/ws`,
 * baselines under `<dir>/baselines`, all removed afterwards. Read the fields inside tests and hooks.
 */
export function tempWorkspaces(name: string): { dir: string; driver: WorkspaceDriver } {
  const temp = { dir: '', driver: undefined as unknown as WorkspaceDriver };
  beforeAll(async () => {
    temp.dir = await fs.mkdtemp(path.join(os.tmpdir(), `agent-runs-${name}-`));
    temp.driver = createLocalWorkspaceDriver({ workspacesDir: path.join(temp.dir, 'ws'), baselinesDir: path.join(temp.dir, 'baselines') });
  });
  afterAll(() => fs.rm(temp.dir, { recursive: true, force: true }));
  return temp;
}

/** git with an identity and no dependence on the machine's git config. */
export function git(cwd: string, ...args: string[]): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], { cwd, env, encoding: 'utf8' });
}
