import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toolsDir } from './tools-dir.ts';

/** The newest Temporal CLI that `go install` can build (later tags carry a replace directive). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

const cliFolder = () => path.join(toolsDir(), `temporal-${TEMPORAL_CLI_VERSION}`);

/** `temporal` from PATH, else from the tools cache; undefined when neither has it. */
export function findTemporalCli(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, 'temporal'))) return path.join(dir, 'temporal');
  }
  const cached = path.join(cliFolder(), 'temporal');
  return isExecutable(cached) ? cached : undefined;
}

/** Builds the pinned CLI with `go install` into the tools cache; undefined when Go is not installed. */
export function installTemporalCliWithGo(): string | undefined {
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const folder = cliFolder();
  console.error(`[temporal] building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install into ${folder} (once; a few minutes)`);
  const result = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: folder, GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`go install of the Temporal CLI failed (exit code ${result.status})`);
  return path.join(folder, 'temporal');
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
