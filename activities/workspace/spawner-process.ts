// The process helper: a small Node process that starts the worker's commands (git, the agent's
// shell commands) on its behalf and relays their output and exit over its IPC channel.
//
// Why: Linux's fork copies the page tables of the process that spawns, so every spawn from a worker
// of 300 to 750 MiB costs it 8 to 16 ms of CPU on its event loop (measured: 1.5 ms from a process of
// 55 MiB, which this one is). See spawner.ts for the worker's side.
//
// It runs as plain `node spawner-process.ts` (Node's own type stripping: erasable syntax and Node's
// built-in modules only), and exits when the worker that started it goes away.
import { type ChildProcess, spawn } from 'node:child_process';

/** What the worker asks for (see spawner.ts). */
type Request =
  | { type: 'spawn'; id: number; file: string; args: string[]; cwd: string; env: Record<string, string>; detached: boolean }
  | { type: 'kill'; id: number; signal: NodeJS.Signals }
  | { type: 'destroy-pipes'; id: number };

const children = new Map<number, ChildProcess>();
const send = (message: unknown) => process.send?.(message);

/**
 * Output messages not yet written to the worker. Past HIGH_WATER, every command's output is paused
 * (the pipes then slow the commands down, as they would without the helper) until the worker has
 * caught up to LOW_WATER: a command that prints without end cannot fill this process's memory.
 */
let unsent = 0;
let paused = false;
const HIGH_WATER = 256;
const LOW_WATER = 64;
function sendOutput(message: unknown) {
  unsent++;
  process.send?.(message, () => {
    unsent--;
    if (paused && unsent <= LOW_WATER) {
      paused = false;
      for (const child of children.values()) for (const stream of [child.stdout, child.stderr]) stream?.resume();
    }
  });
  if (!paused && unsent >= HIGH_WATER) {
    paused = true;
    for (const child of children.values()) for (const stream of [child.stdout, child.stderr]) stream?.pause();
  }
}

process.on('message', (request: Request) => {
  if (request.type === 'spawn') start(request);
  else if (request.type === 'kill') children.get(request.id)?.kill(request.signal);
  else if (request.type === 'destroy-pipes') {
    children.get(request.id)?.stdout?.destroy();
    children.get(request.id)?.stderr?.destroy();
  }
});
// The worker exited (or was killed): nobody is left to hear the results.
process.on('disconnect', () => process.exit(0));

function start({ id, file, args, cwd, env, detached }: Extract<Request, { type: 'spawn' }>) {
  let child: ChildProcess;
  try {
    child = spawn(file, args, { cwd, env, detached, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    send({ type: 'error', id, message: String((err as Error).message), code: (err as NodeJS.ErrnoException).code });
    return;
  }
  children.set(id, child);
  // A command that cannot start (no such file or folder) reports it as an 'error' event, with no pid.
  child.once('error', (err: NodeJS.ErrnoException) => {
    if (child.pid === undefined) {
      children.delete(id);
      send({ type: 'error', id, message: err.message, code: err.code });
    }
  });
  if (child.pid === undefined) return;
  send({ type: 'spawned', id, pid: child.pid });
  child.stdout!.on('data', (chunk: Buffer) => sendOutput({ type: 'data', id, stream: 1, chunk }));
  child.stderr!.on('data', (chunk: Buffer) => sendOutput({ type: 'data', id, stream: 2, chunk }));
  if (paused) for (const stream of [child.stdout, child.stderr]) stream?.pause();
  child.once('exit', (code, signal) => send({ type: 'exit', id, code, signal }));
  child.once('close', () => {
    children.delete(id);
    send({ type: 'close', id });
  });
}
