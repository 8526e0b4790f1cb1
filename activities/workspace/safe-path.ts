import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from '../tools/tool-error.ts';
import { hasCode } from './fs-helpers.ts';

export interface ResolvedPath {
  /** Where to read or write: the real path of the deepest existing part, plus the parts still to create. */
  absolute: string;
  /** The path relative to the workspace root, with forward slashes ('' for the root itself). */
  relative: string;
}

/**
 * Resolves a path the model gave inside the workspace root. Refuses absolute paths, `..` escapes,
 * and symlinks that lead outside the root: the file itself when it exists, else its deepest
 * existing parent folder (so a new file cannot be created through a symlinked folder either).
 */
export async function resolveInsideRoot(root: string, userPath: string): Promise<ResolvedPath> {
  if (userPath.includes('\0')) throw new ToolError(`path ${JSON.stringify(userPath)} contains a NUL character`);
  if (path.isAbsolute(userPath)) {
    throw new ToolError(`path ${JSON.stringify(userPath)} is absolute; give a path relative to the workspace root (e.g. "src/index.ts")`);
  }
  const lexical = path.resolve(root, userPath);
  const relative = path.relative(root, lexical);
  if (isOutside(relative)) throw new ToolError(`path ${JSON.stringify(userPath)} is outside the workspace`);

  const realRoot = await fs.realpath(root);
  // Walk up to the deepest part that exists; only that part can be a symlink.
  let existing = lexical;
  const missing: string[] = [];
  while (!(await exists(existing))) {
    missing.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  let real: string;
  try {
    real = await fs.realpath(existing);
  } catch (err) {
    // Only a dangling symlink (or a loop) exists for lstat but not for realpath.
    if (hasCode(err, 'ENOENT') || hasCode(err, 'ELOOP')) {
      throw new ToolError(`path ${JSON.stringify(userPath)} is a symbolic link whose target does not exist`);
    }
    throw err;
  }
  if (isOutside(path.relative(realRoot, real))) {
    throw new ToolError(`path ${JSON.stringify(userPath)} is outside the workspace (a symbolic link leads out of it)`);
  }
  return { absolute: path.join(real, ...missing), relative: relative.split(path.sep).join('/') };
}

function isOutside(relative: string): boolean {
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (err) {
    if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) return false;
    throw err;
  }
}
