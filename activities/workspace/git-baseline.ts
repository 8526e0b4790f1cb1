import fs from 'node:fs/promises';
import path from 'node:path';
import { capText } from '../../common/cap-text.ts';
import type { FileChange } from './driver.ts';
import { git } from './git.ts';

/** A file's diff in `changesSince` is cut beyond this many characters (lock files, generated code). */
const MAX_DIFF_CHARS = 100_000;
/** A file with more changed lines than this, or larger than MAX_DIFF_FILE_BYTES, gets no diff at all: git is not even asked for it. */
const MAX_DIFF_LINES = 20_000;
const MAX_DIFF_FILE_BYTES = 2 * 1024 * 1024;
const PATHS_PER_CALL = 200;
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
  /** The files added, modified or deleted since the baseline, sorted by path (see ChangeLimits), and how many there are in all. */
  changesSince(baseline: string, limits?: ChangeLimits): Promise<Changes>;
}

export interface ChangeLimits {
  /** Only the first this many files (by path) are described; `total` still counts them all. */
  maxFiles?: number;
  /** Once the diffs add up to this many characters, later files keep their counts but not their diff. */
  maxTotalDiffChars?: number;
  /** Aborting stops git (a stop of the run while its results are recorded). */
  signal?: AbortSignal;
}

export interface Changes {
  files: FileChange[];
  total: number;
}

/**
 * Baselines of the workspace at `root`, kept in the separate git dir `baselineGitDir` (created on
 * first use), so that a workspace that is itself a repo stays untouched.
 */
export function gitBaseline(root: string, baselineGitDir: string): GitBaseline {
  const baselineGit = (args: string[], signal?: AbortSignal) =>
    git(['--git-dir', baselineGitDir, '--work-tree', root, ...BASELINE_GIT_CONFIG, ...args], root, signal);
  const ensureBaselineRepo = async () => {
    if (await exists(path.join(baselineGitDir, 'HEAD'))) return;
    await fs.mkdir(path.dirname(baselineGitDir), { recursive: true });
    await baselineGit(['init', '-q']);
  };

  return {
    async snapshot() {
      await ensureBaselineRepo();
      await baselineGit(['add', '-A']);
      // The staged tree is the baseline (diffs take any tree-ish): two git processes, not a commit's three.
      // Nothing prunes it: the baseline repo never runs gc (gc.auto=0).
      return (await baselineGit(['write-tree'])).trim();
    },

    async changesSince(baseline, { maxFiles = Number.POSITIVE_INFINITY, maxTotalDiffChars = Number.POSITIVE_INFINITY, signal } = {}) {
      if (!/^[0-9a-f]{40,64}$/.test(baseline)) throw new Error(`invalid baseline id ${JSON.stringify(baseline)}`);
      await ensureBaselineRepo();
      // Staging everything (in the baseline repo's own index) makes new files part of the diff.
      await baselineGit(['add', '-A'], signal);
      // Paths are literal (a file named "*.ts" is that file); counts first, for every file, then
      // patches only for the files described, so 20,000 changed files cost no 20,000 diffs.
      const diffArgs = ['--literal-pathspecs', 'diff', '--cached', '--no-renames', '--no-ext-diff', '--no-textconv', '--no-color'];
      const inGitOrder = parseNumstat(await baselineGit([...diffArgs, '--numstat', '-z', baseline], signal));
      const all = [...inGitOrder].sort(byPath);
      const described = all.slice(0, maxFiles);
      const tooLarge = new Map<string, string>();
      for (const stat of described) {
        const size = (await fs.lstat(path.join(root, stat.path)).catch(() => undefined))?.size ?? 0;
        if (stat.added + stat.removed > MAX_DIFF_LINES) tooLarge.set(stat.path, `[diff not shown: ${stat.added + stat.removed} lines changed]`);
        else if (size > MAX_DIFF_FILE_BYTES) tooLarge.set(stat.path, `[diff not shown: the file is ${size} bytes]`);
      }
      const patched = described.filter((stat) => !tooLarge.has(stat.path));
      const patches = new Map<string, string>();
      // A few hundred paths a git call: a thousand long paths would not fit on one command line.
      for (let i = 0; i < patched.length; i += PATHS_PER_CALL) {
        const paths = ['--', ...patched.slice(i, i + PATHS_PER_CALL).map((stat) => stat.path)];
        // Every changed file in one call: the counts read above are these paths' counts, in git's order.
        const everyFile = patched.length === inGitOrder.length && patched.length <= PATHS_PER_CALL;
        const numstat = everyFile ? inGitOrder : parseNumstat(await baselineGit([...diffArgs, '--numstat', '-z', baseline, ...paths], signal));
        const patch = await baselineGit([...diffArgs, '--src-prefix=a/', '--dst-prefix=b/', baseline, ...paths], signal);
        const sections = mergeSameFile(patch.split(/^(?=diff --git )/m).filter((section) => section.startsWith('diff --git ')));
        if (numstat.length !== sections.length) {
          throw new Error(`git diff gave ${numstat.length} numstat entries but ${sections.length} patch sections`);
        }
        numstat.forEach((stat, j) => {
          patches.set(stat.path, sections[j]!);
        });
      }
      let diffChars = 0;
      const files = described.map(({ path: file, added, removed }) => {
        const patch = patches.get(file);
        let diff = patch === undefined ? (tooLarge.get(file) ?? '[no diff]') : capText(patch, MAX_DIFF_CHARS);
        if (diffChars + diff.length > maxTotalDiffChars) diff = `[diff not stored: this run's diffs passed ${maxTotalDiffChars} characters]`;
        diffChars += diff.length;
        return { path: file, added, removed, diff };
      });
      return { files, total: all.length };
    },
  };
}

/** `git diff --numstat -z` gives `added\tremoved\tpath\0` per file (`-\t-` for binary files, counted 0/0). */
function parseNumstat(numstat: string): Array<{ path: string; added: number; removed: number }> {
  return numstat
    .split('\0')
    .filter((entry) => entry !== '')
    .map((entry) => {
      const match = /^(\d+|-)\t(\d+|-)\t([\s\S]*)$/.exec(entry);
      if (!match) throw new Error(`unexpected git numstat entry ${JSON.stringify(entry)}`);
      const count = (value: string) => (value === '-' ? 0 : Number(value));
      return { path: match[3]!, added: count(match[1]!), removed: count(match[2]!) };
    });
}

/**
 * A file that became a symlink (or the other way round) has two patch sections, a deletion and an
 * addition under the same header, and one numstat entry: they are one change.
 */
function mergeSameFile(sections: string[]): string[] {
  const merged: string[] = [];
  for (const section of sections) {
    const header = section.slice(0, section.indexOf('\n'));
    const last = merged.at(-1);
    if (last !== undefined && last.slice(0, last.indexOf('\n')) === header) merged[merged.length - 1] = last + section;
    else merged.push(section);
  }
  return merged;
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}
