import { execFileThroughHelper } from './spawner.ts';

/** Variables that would point our git commands at another repository. */
const GIT_LOCATION_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR', 'GIT_NAMESPACE'];

/** Runs git with a fixed identity, no prompts, and none of the caller's repository-location variables; returns stdout. */
export async function git(args: string[], cwd?: string, signal?: AbortSignal): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'agent-runs',
    GIT_AUTHOR_EMAIL: 'agent-runs@localhost',
    GIT_COMMITTER_NAME: 'agent-runs',
    GIT_COMMITTER_EMAIL: 'agent-runs@localhost',
    GIT_TERMINAL_PROMPT: '0',
  };
  for (const name of GIT_LOCATION_ENV) delete env[name];
  return execFileThroughHelper('git', args, { cwd, env, maxBuffer: 512 * 1024 * 1024, signal });
}
