import fs from 'node:fs/promises';
import path from 'node:path';
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import { ToolError } from '../tools/tool-error.ts';
import type { FileChange } from './driver.ts';
import { asToolError, fsCall, hasCode, isBinary, MAX_TEXT_FILE_BYTES } from './fs-helpers.ts';
import { resolveInsideRoot } from './safe-path.ts';

/** `Workspace.readFile`: a text file's content. */
export async function readWorkspaceFile(root: string, userPath: string): Promise<string> {
  const target = await resolveInsideRoot(root, userPath);
  const stat = await fsCall(userPath, () => fs.stat(target.absolute));
  if (stat.isDirectory()) {
    throw new ToolError(`"${userPath}" is a folder, not a file; use list_files to see its files`);
  }
  if (!stat.isFile()) throw new ToolError(`"${userPath}" is not a regular file`);
  if (stat.size > MAX_TEXT_FILE_BYTES) {
    throw new ToolError(`"${userPath}" is too large to read whole (${stat.size} bytes); use search or run_command (head, sed -n)`);
  }
  const content = await fsCall(userPath, () => fs.readFile(target.absolute));
  if (isBinary(content)) throw new ToolError(`"${userPath}" is a binary file`);
  return content.toString('utf8');
}

/** `Workspace.writeFile`: creates or overwrites the file (and its parent folders). */
export async function writeWorkspaceFile(root: string, userPath: string, content: string): Promise<FileChange & { created: boolean }> {
  const target = await resolveInsideRoot(root, userPath);
  if (target.relative === '') throw new ToolError('give the path of a file, not the workspace root');
  const before = await readTextIfExists(userPath, target.absolute);
  await fsCall(userPath, () => fs.mkdir(path.dirname(target.absolute), { recursive: true }));
  await fsCall(userPath, () => fs.writeFile(target.absolute, content));
  return { ...fileChange(target.relative, before, content), created: before === undefined };
}

/** `Workspace.editFile`: replaces `oldText`, which must occur exactly once in the file, with `newText`. */
export async function editWorkspaceFile(root: string, userPath: string, oldText: string, newText: string): Promise<FileChange> {
  if (oldText === '') throw new ToolError('oldText is empty; use write_file to create or replace a whole file');
  const target = await resolveInsideRoot(root, userPath);
  const before = await readTextIfExists(userPath, target.absolute);
  if (before === undefined) throw new ToolError(`file "${userPath}" does not exist; use write_file to create it`);
  if (before.includes('\0')) throw new ToolError(`"${userPath}" is a binary file`);
  const at = before.indexOf(oldText);
  if (at === -1) {
    throw new ToolError(`oldText was not found in "${userPath}"; read the file and copy the text exactly, including whitespace and indentation`);
  }
  const count = countOccurrences(before, oldText);
  if (count > 1) {
    throw new ToolError(`oldText occurs ${count} times in "${userPath}"; include more surrounding lines so that it matches exactly once`);
  }
  // Sliced rather than String.replace, which would treat `$&` and friends in newText specially.
  const after = before.slice(0, at) + newText + before.slice(at + oldText.length);
  await fsCall(userPath, () => fs.writeFile(target.absolute, after));
  return fileChange(target.relative, before, after);
}

/** The file's text, or undefined when there is no file yet. */
async function readTextIfExists(userPath: string, absolute: string): Promise<string | undefined> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(absolute);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined;
    throw asToolError(err, userPath);
  }
  if (stat.isDirectory()) throw new ToolError(`"${userPath}" is a folder, not a file`);
  // Reading a FIFO or a device would block or never end.
  if (!stat.isFile()) throw new ToolError(`"${userPath}" is not a regular file`);
  return fsCall(userPath, () => fs.readFile(absolute, 'utf8'));
}

function fileChange(relative: string, before: string | undefined, after: string): FileChange {
  const patch = structuredPatch(before === undefined ? '/dev/null' : `a/${relative}`, `b/${relative}`, before ?? '', after, undefined, undefined, {
    context: 3,
  });
  let added = 0;
  let removed = 0;
  for (const line of patch.hunks.flatMap((hunk) => hunk.lines)) {
    if (line.startsWith('+')) added++;
    else if (line.startsWith('-')) removed++;
  }
  return { path: relative, added, removed, diff: patch.hunks.length > 0 ? formatPatch(patch, FILE_HEADERS_ONLY) : '' };
}

function countOccurrences(text: string, part: string): number {
  let count = 0;
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + 1)) count++;
  return count;
}
