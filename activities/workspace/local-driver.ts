import path from 'node:path';
import type { Workspace, WorkspaceDriver } from './driver.ts';
import { editWorkspaceFile, readWorkspaceFile, writeWorkspaceFile } from './file-edits.ts';
import { listWorkspaceFiles, searchWorkspace } from './file-search.ts';
import { isDirectory } from './fs-helpers.ts';
import { gitBaseline } from './git-baseline.ts';
import { runCommand } from './run-command.ts';
import { createFromTemplate } from './templates.ts';

export { COMMAND_OUTPUT_CAP_BYTES } from './run-command.ts';

/** Workspace ids become folder names. */
const WORKSPACE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface LocalWorkspaceDriverOptions {
  /** Each workspace is the folder `<workspacesDir>/<workspaceId>`. */
  workspacesDir: string;
  /** Baselines go to a separate git dir `<baselinesDir>/<workspaceId>.git`: a workspace that is a repo stays untouched. */
  baselinesDir: string;
}

/** Workspaces as folders on this machine. Not a sandbox: see `WorkspaceDriver`. */
export function createLocalWorkspaceDriver(options: LocalWorkspaceDriverOptions): WorkspaceDriver {
  const workspacesDir = path.resolve(options.workspacesDir);
  const baselinesDir = path.resolve(options.baselinesDir);
  const rootOf = (id: string) => path.join(workspacesDir, checkWorkspaceId(id));
  const workspaceAt = (id: string) => localWorkspace(rootOf(id), path.join(baselinesDir, `${id}.git`));

  return {
    async prepare(workspaceId, template) {
      const root = rootOf(workspaceId);
      if (!(await isDirectory(root))) await createFromTemplate(root, template);
      return workspaceAt(workspaceId);
    },

    async open(workspaceId) {
      if (!(await isDirectory(rootOf(workspaceId)))) {
        throw new Error(`workspace ${workspaceId} does not exist (it was never prepared)`);
      }
      return workspaceAt(workspaceId);
    },
  };
}

function checkWorkspaceId(id: string): string {
  if (!WORKSPACE_ID.test(id)) throw new Error(`invalid workspace id ${JSON.stringify(id)}`);
  return id;
}

function localWorkspace(root: string, baselineGitDir: string): Workspace {
  const baseline = gitBaseline(root, baselineGitDir);
  return {
    root,
    readFile: (userPath) => readWorkspaceFile(root, userPath),
    writeFile: (userPath, content) => writeWorkspaceFile(root, userPath, content),
    editFile: (userPath, oldText, newText) => editWorkspaceFile(root, userPath, oldText, newText),
    listFiles: (pattern) => listWorkspaceFiles(root, pattern),
    search: (pattern, userPath) => searchWorkspace(root, pattern, userPath),
    runCommand: (command, options) => runCommand(root, command, options),
    snapshot: () => baseline.snapshot(),
    changesSince: (id, limits) => baseline.changesSince(id, limits),
  };
}
