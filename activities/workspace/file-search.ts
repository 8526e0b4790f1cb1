import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from '../tools/tool-error.ts';
import { fsCall, hasCode, isBinary, isDirectory, MAX_TEXT_FILE_BYTES } from './fs-helpers.ts';
import { resolveInsideRoot } from './safe-path.ts';

const MAX_SEARCH_MATCHES = 200;
const MAX_SEARCH_LINE_CHARS = 400;
const SEARCH_CONTEXT_LINES = 2;

/** `Workspace.listFiles`: files matching the glob, relative to the root, sorted. */
export async function listWorkspaceFiles(root: string, pattern: string): Promise<string[]> {
  const glob = pattern.trim().replace(/^(\.\/)+/, '');
  if (glob === '') throw new ToolError('the pattern is empty; try "**/*" for every file');
  if (path.isAbsolute(glob) || glob.split('/').includes('..')) {
    throw new ToolError(`pattern "${pattern}" must be relative to the workspace root and cannot contain ".."`);
  }
  // Walk only below the pattern's literal folder prefix (`src` for `src/**/*.ts`).
  const segments = glob.split('/');
  const literal: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (/[*?[\]{}!]/.test(segment)) break;
    literal.push(segment);
  }
  const start = await resolveInsideRoot(root, literal.join('/') || '.');
  if (!(await isDirectory(start.absolute))) return [];
  const files = await walkFiles(root, start.relative, { includeNodeModules: glob.includes('node_modules') });
  return files.filter((file) => path.matchesGlob(file, glob)).sort();
}

/** `Workspace.search`: regex search of the file, or of the files below the folder, at `userPath`. */
export async function searchWorkspace(root: string, pattern: string, userPath = '.'): Promise<string> {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (err) {
    throw new ToolError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
  const target = await resolveInsideRoot(root, userPath || '.');
  const stat = await fsCall(userPath, () => fs.stat(target.absolute));
  const includeNodeModules = target.relative.split('/').includes('node_modules');
  const files = stat.isDirectory() ? (await walkFiles(root, target.relative, { includeNodeModules })).sort() : [target.relative];
  return searchFiles(root, files, regex);
}

/**
 * Files below `startRelative` (relative to the root, forward slashes). Skips `.git` folders, and
 * `node_modules` unless asked. Symlinked folders are not entered (loops, escapes); symlinked files
 * are listed only when their target is a file inside the workspace.
 */
async function walkFiles(root: string, startRelative: string, options: { includeNodeModules: boolean }): Promise<string[]> {
  const realRoot = await fs.realpath(root);
  const files: string[] = [];
  const visit = async (relative: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(path.join(root, relative), { withFileTypes: true });
    } catch (err) {
      if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR') || hasCode(err, 'EACCES')) return;
      throw err;
    }
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name === '.git' || (entry.name === 'node_modules' && !options.includeNodeModules)) continue;
        await visit(child);
      } else if (entry.isFile() || (entry.isSymbolicLink() && (await isFileInside(realRoot, path.join(root, child))))) {
        files.push(child);
      }
    }
  };
  await visit(startRelative);
  return files;
}

async function isFileInside(realRoot: string, link: string): Promise<boolean> {
  try {
    const real = await fs.realpath(link);
    const relative = path.relative(realRoot, real);
    if (relative.startsWith('..') || path.isAbsolute(relative)) return false;
    return (await fs.stat(real)).isFile();
  } catch {
    return false;
  }
}

/** grep -n -C2 style: `path:line: text` for matches, `path-line- text` for context, `--` between groups. */
async function searchFiles(root: string, files: string[], regex: RegExp): Promise<string> {
  const out: string[] = [];
  let matches = 0;
  for (const file of files) {
    const absolute = path.join(root, file);
    const stat = await fs.stat(absolute).catch(() => undefined);
    if (!stat?.isFile() || stat.size > MAX_TEXT_FILE_BYTES) continue;
    const content = await fs.readFile(absolute).catch(() => undefined);
    if (!content || isBinary(content)) continue;
    const lines = content.toString('utf8').split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    const hits = new Set<number>();
    for (let i = 0; i < lines.length && matches < MAX_SEARCH_MATCHES; i++) {
      if (regex.test(lines[i]!)) {
        hits.add(i);
        matches++;
      }
    }
    let shownUntil = -1;
    for (const hit of hits) {
      const from = Math.max(hit - SEARCH_CONTEXT_LINES, shownUntil + 1);
      const to = Math.min(hit + SEARCH_CONTEXT_LINES, lines.length - 1);
      if (from > shownUntil + 1 && out.length > 0) out.push('--');
      for (let i = from; i <= to; i++) {
        const separator = hits.has(i) ? ':' : '-';
        out.push(`${file}${separator}${i + 1}${separator} ${clipLine(lines[i]!)}`);
      }
      shownUntil = Math.max(shownUntil, to);
    }
    if (matches >= MAX_SEARCH_MATCHES) {
      out.push(`[search stopped after ${MAX_SEARCH_MATCHES} matching lines; narrow the pattern or the path]`);
      break;
    }
  }
  return out.join('\n');
}

function clipLine(line: string): string {
  return line.length > MAX_SEARCH_LINE_CHARS ? `${line.slice(0, MAX_SEARCH_LINE_CHARS)}…` : line;
}
