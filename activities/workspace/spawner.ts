import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

/**
 * The worker starts its commands through one small helper process (spawner-process.ts): a spawn from
 * a process of 300 to 750 MiB costs 8 to 16 ms of CPU on its event loop, from the helper about 1.5 ms.
 * The helper starts on first use; if it dies, the commands it had under way fail (their activities
 * retry) and the next command starts a new one.
 */

export interface SpawnOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** In a process group (and session) of its own, so that all it starts can be signalled at once. */
  detached?: boolean;
  /** Each chunk of output, as it arrives: stream 1 is stdout, 2 stderr. */
  onData: (stream: 1 | 2, chunk: Buffer) => void;
}

export interface SpawnedProcess {
  pid: number;
  /** Resolves when the process has exited, or when the helper was lost (`helperLost` says so: the process may still run). */
  exited: Promise<Exit>;
  /** Resolves when its output pipes have closed too (all output has been passed to onData). */
  closed: Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** Stops reading its output (a process it left behind may hold the pipes open). */
  destroyPipes(): void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  helperLost?: string;
}

interface Pending {
  started: (pid: number) => void;
  failed: (err: Error) => void;
  onData: SpawnOptions['onData'];
  exit: (result: Exit) => void;
  close: () => void;
}

type Message =
  | { type: 'spawned'; id: number; pid: number }
  | { type: 'error'; id: number; message: string; code?: string }
  | { type: 'data'; id: number; stream: 1 | 2; chunk: Uint8Array }
  | { type: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'close'; id: number };

const HELPER_PATH = path.join(import.meta.dirname, 'spawner-process.ts');

let helper: ChildProcess | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

/** Starts `file args` through the helper; rejects as spawn's 'error' event would (ENOENT...). */
export function spawnThroughHelper(file: string, args: string[], options: SpawnOptions): Promise<SpawnedProcess> {
  const id = nextId++;
  const channel = currentHelper();
  return new Promise<SpawnedProcess>((resolve, reject) => {
    let exit!: Pending['exit'];
    let close!: Pending['close'];
    const exited = new Promise<Exit>((r) => {
      exit = r;
    });
    const closed = new Promise<void>((r) => {
      close = r;
    });
    pending.set(id, {
      started: (pid) =>
        resolve({
          pid,
          exited,
          closed,
          kill: (signal = 'SIGTERM') => channel.connected && channel.send({ type: 'kill', id, signal }),
          destroyPipes: () => channel.connected && channel.send({ type: 'destroy-pipes', id }),
        }),
      failed: reject,
      onData: options.onData,
      exit,
      close,
    });
    // The helper keeps the event loop alive only while it has work: an idle worker or script may exit.
    refWhileBusy(channel);
    channel.send({
      type: 'spawn',
      id,
      file,
      args,
      cwd: options.cwd ?? process.cwd(),
      env: definedOnly(options.env),
      detached: options.detached ?? false,
    });
  });
}

function currentHelper(): ChildProcess {
  if (helper?.connected) return helper;
  const child = fork(HELPER_PATH, [], {
    execArgv: [],
    // Its own session: a Ctrl-C meant for the worker must not take the helper down before the worker has drained.
    detached: true,
    // Nothing of the worker's environment: each command is given its own.
    env: { PATH: process.env.PATH ?? '' },
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.on('message', (message: Message) => onMessage(message));
  const lost = (why: string) => {
    if (helper === child) helper = undefined;
    for (const [id, entry] of pending) {
      pending.delete(id);
      const helperLost = `the worker's process helper ${why}; the command's outcome is unknown`;
      entry.failed(new Error(helperLost));
      entry.exit({ code: null, signal: null, helperLost });
      entry.close();
    }
  };
  child.once('exit', (code, signal) => lost(`exited (${signal ?? code})`));
  child.once('error', (err) => lost(`failed: ${err.message}`));
  child.unref();
  helper = child;
  return child;
}

function onMessage(message: Message) {
  const entry = pending.get(message.id);
  if (!entry) return;
  switch (message.type) {
    case 'spawned':
      entry.started(message.pid);
      return;
    case 'error': {
      pending.delete(message.id);
      const err: NodeJS.ErrnoException = new Error(message.message);
      if (message.code) err.code = message.code;
      entry.failed(err);
      break;
    }
    case 'data':
      entry.onData(message.stream, Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength));
      return;
    case 'exit':
      entry.exit({ code: message.code, signal: message.signal });
      return;
    case 'close':
      pending.delete(message.id);
      entry.close();
      break;
  }
  if (pending.size === 0) unrefWhenIdle();
}

function refWhileBusy(channel: ChildProcess) {
  channel.ref();
  (channel.channel as { ref?: () => void } | undefined)?.ref?.();
}

function unrefWhenIdle() {
  helper?.unref();
  (helper?.channel as { unref?: () => void } | undefined)?.unref?.();
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export interface ExecOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** More stdout or stderr than this many bytes stops the command and fails. */
  maxBuffer: number;
  /** Aborting stops the command (SIGTERM) and rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * Like `execFile`: runs the command to its end and resolves with its stdout (UTF-8); a non-zero exit
 * rejects with `Command failed: <command>` and its stderr, as execFile's error says it.
 */
export async function execFileThroughHelper(file: string, args: string[], options: ExecOptions): Promise<string> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  const output: Record<1 | 2, Buffer[]> = { 1: [], 2: [] };
  const size = { 1: 0, 2: 0 };
  let tooLarge = false;
  // Output may arrive before the spawn's promise has resolved: `started` is set once it has.
  let started: SpawnedProcess | undefined;
  const child = await spawnThroughHelper(file, args, {
    cwd: options.cwd,
    env: options.env,
    onData: (stream, chunk) => {
      size[stream] += chunk.length;
      if (size[stream] <= options.maxBuffer) output[stream].push(chunk);
      else if (!tooLarge) {
        tooLarge = true;
        started?.kill('SIGTERM');
      }
    },
  });
  started = child;
  if (tooLarge) child.kill('SIGTERM');
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const [{ code, signal: exitSignal, helperLost }] = await Promise.all([child.exited, child.closed]);
    if (signal?.aborted) throw abortError(signal);
    if (helperLost) throw new Error(helperLost);
    const text = (stream: 1 | 2) => Buffer.concat(output[stream]).toString('utf8');
    const command = [file, ...args].join(' ');
    if (tooLarge)
      throw Object.assign(new Error(`${command}: output passed ${options.maxBuffer} bytes`), { code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
    if (code !== 0) {
      throw Object.assign(new Error(`Command failed: ${command}\n${text(2)}`), {
        code: code ?? undefined,
        signal: exitSignal,
        stdout: text(1),
        stderr: text(2),
      });
    }
    return text(1);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

export function abortError(signal: AbortSignal): Error {
  const error = new Error('the command was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}
