import type { ChangeLimits, Changes } from './git-baseline.ts';

/** What an execution's workspace starts from. */
export type WorkspaceTemplate =
  | { type: 'empty' }
  /** A local folder, copied. */
  | { type: 'path'; path: string }
  /** A git URL or a local repository path, cloned; `ref` (branch, tag or commit) is checked out. */
  | { type: 'git'; url: string; ref?: string };

/** One file's change: line counts and a unified diff (paths relative to the workspace root). */
export interface FileChange {
  path: string;
  added: number;
  removed: number;
  /** Unified diff text; binary files have counts 0/0 and a one-line note instead of hunks. */
  diff: string;
}

export interface CommandResult {
  /** null when the command was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  /** stdout and stderr merged, in the order they arrived. */
  output: string;
  /** The output went over the driver's cap and only part of it was kept. */
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
}

export interface RunCommandOptions {
  timeoutMs: number;
  /** Aborting kills the command; runCommand then rejects with an error named 'AbortError'. */
  signal?: AbortSignal;
}

/**
 * One execution's workspace folder. Every path argument is relative to `root`; paths that lead
 * outside it (`..`, absolute paths, symlinks) are refused with a `ToolError`, as are other mistakes
 * the model can fix (missing file, text not found). Other errors are internal.
 */
export interface Workspace {
  readonly root: string;
  readFile(path: string): Promise<string>;
  /** Creates or overwrites the file (and its parent folders). */
  writeFile(path: string, content: string): Promise<FileChange & { created: boolean }>;
  /** Replaces `oldText`, which must occur exactly once in the file, with `newText`. */
  editFile(path: string, oldText: string, newText: string): Promise<FileChange>;
  /** Files matching the glob, relative to the root, sorted; `.git` (and `node_modules` unless named) skipped. */
  listFiles(pattern: string): Promise<string[]>;
  /** Regex search of file contents: `path:line: text` for matches, `path-line- text` for 2 lines of context; capped. */
  search(pattern: string, path?: string): Promise<string>;
  runCommand(command: string, options: RunCommandOptions): Promise<CommandResult>;
  /** Records the workspace's current state; returns a baseline id for `changesSince`. */
  snapshot(): Promise<string>;
  /** The files added, modified or deleted since the baseline, sorted by path (the first `maxFiles`), and how many in all. */
  changesSince(baseline: string, limits?: ChangeLimits): Promise<Changes>;
}

/**
 * Creates and opens workspaces. The local driver keeps them as folders on this machine; a container
 * driver would implement the same interface with each workspace in its own container.
 *
 * The local driver's `runCommand` is NOT a security sandbox: commands run as the worker's user with
 * its network and filesystem access, and only the service's secrets are removed from their
 * environment. The path checks stop the file tools from leaving the workspace by mistake, not a
 * determined command. Run untrusted work with a container driver.
 */
export interface WorkspaceDriver {
  /** Creates the workspace from the template the first time (idempotent: an existing workspace is kept as it is). */
  prepare(workspaceId: string, template: WorkspaceTemplate): Promise<Workspace>;
  /** An existing workspace (throws if it was never prepared). */
  open(workspaceId: string): Promise<Workspace>;
}
