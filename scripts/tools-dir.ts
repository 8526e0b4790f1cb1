import os from 'node:os';
import path from 'node:path';

/** The per-user tools cache shared by every clone (scripts/with-node.sh uses the same folder). */
export function toolsDir(): string {
  if (process.env.AGENT_RUNS_TOOLS_DIR) return process.env.AGENT_RUNS_TOOLS_DIR;
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'agent-runs', 'tools');
}
