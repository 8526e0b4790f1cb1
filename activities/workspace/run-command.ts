import fs from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { CommandResult, RunCommandOptions } from './driver.ts';
import { hasCode } from './fs-helpers.ts';
import { abortError, spawnThroughHelper } from './spawner.ts';

/** Merged command output kept: the LAST 64 KiB, where errors and summaries usually are. */
export const COMMAND_OUTPUT_CAP_BYTES = 64 * 1024;
/** Time between SIGTERM and SIGKILL when a command's process group is stopped. */
const KILL_GRACE_MS = 2_000;
/** Environment variables a command must not see: the service's credentials. */
const SECRET_ENV_NAME = /(_API_KEY|_ACCESS_KEY|_SECRET_KEY|_TOKEN|_SECRET|_PASSWORD|DATABASE_URL)$/i;

/**
 * Runs `bash -c command` in `root`, in its own process group, so that a timeout or an abort stops
 * everything it started. When the shell ends, whatever it left running in its group is stopped too.
 */
export async function runCommand(root: string, command: string, options: RunCommandOptions): Promise<CommandResult> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  const startedAt = performance.now();
  // The shell sends stderr into the stdout pipe itself: one pipe keeps the order a terminal would show.
  const output = outputTail(COMMAND_OUTPUT_CAP_BYTES);
  const child = await spawnThroughHelper('bash', ['-c', `exec 2>&1\n${command}`], {
    cwd: root,
    detached: true,
    env: commandEnv(),
    onData: (_stream, chunk) => output.push(chunk),
  });

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopProcessGroup(child.pid));
  let timedOut = false;
  let aborted = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stop();
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    void stop();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  // Aborted while the command was being started: the listener came too late to hear it.
  if (signal?.aborted) onAbort();

  try {
    const exit = await child.exited;
    await stop();
    // A process that left the group (setsid) may still hold the pipes: do not wait for it.
    await Promise.race([child.closed, delay(500)]);
    child.destroyPipes();
    const lost = exit.helperLost ?? child.helperLost();
    if (lost) throw new Error(lost);
    if (aborted) throw abortError(signal!);
    return {
      exitCode: exit.code,
      signal: exit.signal,
      output: output.text(),
      truncated: output.truncated(),
      timedOut,
      durationMs: Math.round(performance.now() - startedAt),
    };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The service's environment (PATH, HOME...) without its credentials. */
function commandEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !SECRET_ENV_NAME.test(name)));
}

/** SIGTERM to the whole group, SIGKILL after a grace period; resolves once no live process is left in it. */
async function stopProcessGroup(pgid: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + KILL_GRACE_MS;
  while (Date.now() < deadline) {
    if (!(await groupHasLiveProcess(pgid))) return;
    await delay(50);
  }
  signalGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 40 && (await groupHasLiveProcess(pgid)); i++) await delay(50);
}

/** False when the group has no process left at all. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if (hasCode(err, 'ESRCH')) return false;
    throw err;
  }
}

/**
 * Whether the group still has a running process. Killed processes whose parent is gone can stay
 * zombies (a container's PID 1 may not reap them) and still count for kill(0), so on Linux the
 * group's members are looked up in /proc and zombies ignored.
 */
async function groupHasLiveProcess(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  const pids = (await fs.readdir('/proc').catch(() => undefined))?.filter((name) => /^\d+$/.test(name));
  if (!pids) return true;
  for (const pid of pids) {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state, ppid, pgrp, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** Keeps the last `cap` bytes of a stream. */
function outputTail(cap: number) {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  return {
    push: (chunk: Buffer) => {
      chunks.push(chunk);
      kept += chunk.length;
      total += chunk.length;
      while (chunks.length > 1 && kept - chunks[0]!.length >= cap) kept -= chunks.shift()!.length;
    },
    truncated: () => total > cap,
    text: () => {
      let buffer = Buffer.concat(chunks);
      if (buffer.length > cap) buffer = buffer.subarray(buffer.length - cap);
      // Do not start in the middle of a UTF-8 character.
      let start = 0;
      while (start < buffer.length && start < 4 && (buffer[start]! & 0xc0) === 0x80) start++;
      return buffer.subarray(start).toString('utf8');
    },
  };
}
