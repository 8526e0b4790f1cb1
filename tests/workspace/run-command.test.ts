// run_command with real processes: output and exit codes, timeouts and aborts that stop the whole
// process group, the output cap, and an environment without the service's secrets.
import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { executeTool, TOOL_OUTPUT_LIMIT } from '../../activities/tools/execute-tool.ts';
import type { Workspace } from '../../activities/workspace/driver.ts';
import { COMMAND_OUTPUT_CAP_BYTES } from '../../activities/workspace/local-driver.ts';
import { tempWorkspaces } from '../helpers/temp-workspaces.ts';

const temp = tempWorkspaces('run-command');
let workspace: Workspace;

beforeAll(async () => {
  workspace = await temp.driver.prepare('commands', { type: 'empty' });
});

/** A shell that records its own pid and the pid of a child `sleep`, then waits for it. */
const SHELL_WITH_CHILD = 'echo $$ > shell.pid; sleep 30 & echo $! > child.pid; echo started; wait';

async function recordedPids(): Promise<number[]> {
  return Promise.all(['shell.pid', 'child.pid'].map(async (file) => Number(await fs.readFile(path.join(workspace.root, file), 'utf8'))));
}

async function forgetPids(): Promise<void> {
  await Promise.all(['shell.pid', 'child.pid'].map((file) => fs.rm(path.join(workspace.root, file), { force: true })));
}

/** Running, as opposed to gone or a zombie nobody reaped yet. */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
  return state !== 'Z' && state !== 'X';
}

describe('run_command', () => {
  it('returns the exit code and the merged output, in the workspace folder', async () => {
    const result = await workspace.runCommand('echo out; echo err >&2; pwd; exit 3', { timeoutMs: 10_000 });
    expect(result).toMatchObject({ exitCode: 3, signal: null, timedOut: false, truncated: false });
    expect(result.output).toBe(`out\nerr\n${await fs.realpath(workspace.root)}\n`);

    const outcome = await executeTool(workspace, 'run_command', { command: 'echo hello; false' });
    expect(outcome).toEqual({ output: 'Exit code: 1\nOutput:\nhello\n', isError: false });
  });

  it('stops the whole process group on timeout', async () => {
    const startedAt = Date.now();
    const result = await workspace.runCommand(SHELL_WITH_CHILD, { timeoutMs: 300 });
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGTERM', output: 'started\n' });
    for (const pid of await recordedPids()) expect(await isRunning(pid)).toBe(false);
  });

  it('kills with SIGKILL a command that ignores SIGTERM', async () => {
    const result = await workspace.runCommand("trap '' TERM; echo $$ > shell.pid; while true; do sleep 0.1; done", {
      timeoutMs: 200,
    });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(result.durationMs).toBeGreaterThanOrEqual(2_000);
    const shellPid = Number(await fs.readFile(path.join(workspace.root, 'shell.pid'), 'utf8'));
    expect(await isRunning(shellPid)).toBe(false);
  });

  it('rejects promptly with an AbortError once the process group is dead when the signal aborts', async () => {
    await forgetPids(); // those of the test before: this one must find its own
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 300);
    const startedAt = Date.now();
    const running = executeTool(workspace, 'run_command', { command: SHELL_WITH_CHILD }, { signal: controller.signal });
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    // Checked right away: the rejection must come after the processes are gone.
    for (const pid of await recordedPids()) expect(await isRunning(pid)).toBe(false);

    await expect(workspace.runCommand('echo never', { timeoutMs: 1_000, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('stops what a finished command left running in the background, without waiting for it', async () => {
    const startedAt = Date.now();
    const result = await workspace.runCommand('sleep 30 & echo $! > child.pid; echo done', { timeoutMs: 10_000 });
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    expect(result).toMatchObject({ exitCode: 0, output: 'done\n' });
    const childPid = Number(await fs.readFile(path.join(workspace.root, 'child.pid'), 'utf8'));
    expect(await isRunning(childPid)).toBe(false);
  });

  it('keeps the end of a long output, with a marker in the tool result', async () => {
    const command = "head -c 200000 /dev/zero | tr '\\0' x; echo; echo END";
    const result = await workspace.runCommand(command, { timeoutMs: 10_000 });
    expect(result.truncated).toBe(true);
    expect(result.output.length).toBe(COMMAND_OUTPUT_CAP_BYTES);
    expect(result.output.endsWith('x\nEND\n')).toBe(true);

    const outcome = await executeTool(workspace, 'run_command', { command });
    expect(outcome.output).toMatch(
      /^Exit code: 0\nOutput \(only the end of the output was kept\):\n…\[truncated: \d+ earlier characters\]\nx+\nEND\n$/,
    );
    expect(outcome.output.length).toBeLessThanOrEqual(TOOL_OUTPUT_LIMIT);
  });

  it("does not pass the service's secrets to the command", async () => {
    const secrets = { OPENAI_API_KEY: 'sk-secret-1', GITHUB_TOKEN: 'ghp-secret-2', DATABASE_URL: 'postgres://secret-3' };
    const saved = { ...process.env };
    Object.assign(process.env, secrets, { AGENT_RUNS_VISIBLE: 'visible' });
    try {
      const result = await workspace.runCommand('env', { timeoutMs: 10_000 });
      for (const value of Object.values(secrets)) expect(result.output).not.toContain(value);
      expect(result.output).toContain('AGENT_RUNS_VISIBLE=visible');
      expect(result.output).toMatch(/^PATH=/m);
    } finally {
      process.env = saved;
    }
  });
});
