import fs from 'node:fs/promises';
import { ToolError } from '../tools/tool-error.ts';

/** Larger files are refused by read_file and skipped by search: use run_command (head, sed) instead. */
export const MAX_TEXT_FILE_BYTES = 4 * 1024 * 1024;

/** Runs a filesystem call, turning the errors the model can act on into ToolErrors. */
export async function fsCall<T>(userPath: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw asToolError(err, userPath);
  }
}

export function asToolError(err: unknown, userPath: string): unknown {
  const quoted = `"${userPath}"`;
  if (hasCode(err, 'ENOENT')) return new ToolError(`${quoted} does not exist`);
  if (hasCode(err, 'ENOTDIR')) return new ToolError(`${quoted}: a part of this path is a file, not a folder`);
  if (hasCode(err, 'EISDIR')) return new ToolError(`${quoted} is a folder, not a file`);
  if (hasCode(err, 'EACCES') || hasCode(err, 'EPERM')) return new ToolError(`permission denied for ${quoted}`);
  if (hasCode(err, 'ENAMETOOLONG')) return new ToolError(`${quoted} is too long a path`);
  return err;
}

/** Git's own test: a NUL byte in the first 8000 bytes. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

export function hasCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

export async function isDirectory(p: string): Promise<boolean> {
  return fs.stat(p).then(
    (stat) => stat.isDirectory(),
    () => false,
  );
}
