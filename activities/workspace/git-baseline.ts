import fs from 'node:fs/promises';
import path from 'node:path';
import { capText } from '../cap-text.ts';
import type { FileChange } from './driver.ts';
import { git } from './git.ts';

/** A file's diff in `changesSince` is cut beyond this many characters (lock files, generated code). */
const MAX_DIFF_CHARS = 100_000;
/** Baseline commits must work without any git config on the machine, and never prompt or sign. */
const BASELINE_GIT_CONFIG = [
  'commit.gpgsign=false',
  'core.autocrlf=false',
  'core.safecrlf=false',
  'gc.auto=0',
  'maintenance.auto=false',
  'advice.addEmbeddedRepo=false',
  'init.defaultBranch=baseline',
].flatMap((setting) => ['-c', setting]);

export interface GitBaseline {
  /** Records the workspace's current state; returns a baseline id for `changesSince`. */
  snapshot(): Promise<string>;
  /** Every file added, modified or deleted since the baseline, sorted by path. */
  changesSince(baseline: string): Promise<FileChange[]>;
}

/**
 * Baselines of the workspace at `root`, kept in the separate git dir `baselineGitDir` (created on
 * first use), so that a workspace that is itself a repo stays untouched.
 */
export function gitBaseline(root: string, baselineGitDir: string): GitBaseline {
  const baselineGit = (args: string[]) => git(['--git-dir', baselineGitDir, '--work-tree', root, ...BASELINE_GIT_CONFIG, ...args], root);
  const ensureBaselineRepo = async () => {
    if (await exists(path.join(baselineGitDir, 'HEAD'))) return;
    await fs.mkdir(path.dirname(baselineGitDir), { recursive: true });
    await baselineGit(['init', '-q']);
  };

  return {
    async snapshot() {
      await ensureBaselineRepo();
      await baselineGit(['add', '-A']);
      await baselineGit(['commit', '-q', '--allow-empty', '--no-verify', '-m', 'baseline']);
      return (await baselineGit(['rev-parse', 'HEAD'])).trim();
    },

    async changesSince(baseline) {
      if (!/^[0-9a-f]{40,64}$/.test(baseline)) throw new Error(`invalid baseline id ${JSON.stringify(baseline)}`);
      await ensureBaselineRepo();
      // Staging everything (in the baseline repo's own index) makes new files part of the diff.
      await baselineGit(['add', '-A']);
      const diffArgs = ['diff', '--cached', '--no-renames', '--no-ext-diff', '--no-textconv', '--no-color'];
      const numstat = await baselineGit([...diffArgs, '--numstat', '-z', baseline]);
      const patch = await baselineGit([...diffArgs, '--src-prefix=a/', '--dst-prefix=b/', baseline]);
      return zipNumstatWithPatch(numstat, patch).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
  };
}

/**
 * `git diff --numstat -z` gives `added\tremoved\tpath\0` per file (`-\t-` for binary files); the
 * patch has one `diff --git` section per file, in the same order.
 */
function zipNumstatWithPatch(numstat: string, patch: string): FileChange[] {
  const stats = numstat.split('\0').filter((entry) => entry !== '');
  const sections = patch.split(/^(?=diff --git )/m).filter((section) => section.startsWith('diff --git '));
  if (stats.length !== sections.length) {
    throw new Error(`git diff gave ${stats.length} numstat entries but ${sections.length} patch sections`);
  }
  return stats.map((entry, i) => {
    const match = /^(\d+|-)\t(\d+|-)\t([\s\S]*)$/.exec(entry);
    if (!match) throw new Error(`unexpected git numstat entry ${JSON.stringify(entry)}`);
    const count = (value: string) => (value === '-' ? 0 : Number(value));
    const diff = sections[i]!;
    return {
      path: match[3]!,
      added: count(match[1]!),
      removed: count(match[2]!),
      diff: capText(diff, MAX_DIFF_CHARS),
    };
  });
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}
