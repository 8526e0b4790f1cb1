import fs from 'node:fs/promises';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { RE2JS, RE2JSException } from 're2js';
import { ToolError } from '../tools/tool-error.ts';
import { fsCall, hasCode, isBinary, isDirectory, MAX_TEXT_FILE_BYTES } from './fs-helpers.ts';
import { resolveInsideRoot } from './safe-path.ts';

const MAX_SEARCH_MATCHES = 200;
const MAX_SEARCH_LINE_CHARS = 400;
const SEARCH_CONTEXT_LINES = 2;

// The model's pattern runs on RE2 (re2js): matching a line takes time linear in its length times
// the size of the compiled program (its instructions), never exponential, but one match call
// cannot be interrupted. So that product is counted as work: a line that would cost more than
// MAX_LINE_WORK is skipped (and reported), which keeps one call under about half a second even
// for the slowest programs (usually a few milliseconds), and the search yields to the event loop
// after every YIELD_AFTER_WORK, so the worker's heartbeats and other activities keep running.
const MAX_PATTERN_CHARS = 1000;
const MAX_PATTERN_INSTRUCTIONS = 10_000;
const MAX_LINE_WORK = 1 << 23;
const YIELD_AFTER_WORK = 1 << 20;

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
  const regex = compileSearchPattern(pattern);
  const target = await resolveInsideRoot(root, userPath || '.');
  const stat = await fsCall(userPath, () => fs.stat(target.absolute));
  const includeNodeModules = target.relative.split('/').includes('node_modules');
  const files = stat.isDirectory() ? (await walkFiles(root, target.relative, { includeNodeModules })).sort() : [target.relative];
  return searchFiles(root, files, regex);
}

/**
 * The pattern compiled by RE2, JavaScript syntax translated (`(?<name>`, `\u0041`, `\cA`...).
 * What RE2 cannot match in linear time (backreferences, lookaround) is refused with a ToolError
 * naming the feature; the translation would otherwise turn some of it into literal text.
 */
function compileSearchPattern(pattern: string): RE2JS {
  const quoted = JSON.stringify(pattern);
  if (pattern.length > MAX_PATTERN_CHARS) {
    throw new ToolError(`the pattern is too long (${pattern.length} characters, at most ${MAX_PATTERN_CHARS}); search for a shorter pattern`);
  }
  const unsupported = unsupportedSyntax(pattern);
  if (unsupported) {
    throw new ToolError(
      `pattern ${quoted} uses ${unsupported.feature}, which search does not support: it matches with the linear-time RE2 engine (no backreferences or lookaround). ${unsupported.instead}`,
    );
  }
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (err) {
    if (err instanceof RE2JSException) throw new ToolError(`invalid regular expression ${quoted}: ${err.message}`);
    throw err;
  }
  const instructions = programSize(regex);
  if (instructions > MAX_PATTERN_INSTRUCTIONS) {
    throw new ToolError(
      `the pattern ${quoted} is too complex for search (${instructions} regex instructions, at most ${MAX_PATTERN_INSTRUCTIONS}); use fewer or smaller {n} repeats`,
    );
  }
  return regex;
}

function programSize(regex: RE2JS): number {
  return regex.re2().numberOfInstructions() as number;
}

const LOOKAROUND: Record<string, string> = {
  '=': 'a lookahead (?=...)',
  '!': 'a negative lookahead (?!...)',
  '<=': 'a lookbehind (?<=...)',
  '<!': 'a negative lookbehind (?<!...)',
};
const INSTEAD_OF_BACKREFERENCE =
  'Write the repeated text out instead (e.g. "(foo|bar)=\\1" as "foo=foo|bar=bar"), or search for the first part and read the matching lines.';
const INSTEAD_OF_LOOKAROUND =
  'Make the surrounding text part of the match instead (e.g. "foo(?=bar)" as "foobar"), or search more broadly and read the matching lines.';

/** The first backreference or lookaround in a JavaScript pattern (outside character classes). */
function unsupportedSyntax(pattern: string): { feature: string; instead: string } | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && next >= '1' && next <= '9') return { feature: `a backreference (\\${next})`, instead: INSTEAD_OF_BACKREFERENCE };
      if (!inClass && next === 'k' && pattern[i + 2] === '<')
        return { feature: 'a named backreference (\\k<name>)', instead: INSTEAD_OF_BACKREFERENCE };
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') {
      inClass = true;
    } else if (ch === '(' && pattern[i + 1] === '?') {
      const feature = LOOKAROUND[pattern.slice(i + 2, pattern[i + 2] === '<' ? i + 4 : i + 3)];
      if (feature) return { feature, instead: INSTEAD_OF_LOOKAROUND };
    }
  }
  return undefined;
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
async function searchFiles(root: string, files: string[], regex: RE2JS): Promise<string> {
  const out: string[] = [];
  const instructions = programSize(regex);
  const maxLineChars = Math.floor(MAX_LINE_WORK / instructions);
  let matches = 0;
  let skippedLines = 0;
  let workSinceYield = 0;
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
      const line = lines[i]!;
      if (line.length > maxLineChars) {
        skippedLines++;
        continue;
      }
      if (regex.test(line)) {
        hits.add(i);
        matches++;
      }
      workSinceYield += (line.length + 1) * instructions;
      if (workSinceYield >= YIELD_AFTER_WORK) {
        workSinceYield = 0;
        await setImmediate();
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
  if (skippedLines > 0) {
    out.push(
      `[${skippedLines} line(s) longer than ${maxLineChars} characters were not searched with this pattern; a simpler pattern searches longer lines]`,
    );
  }
  return out.join('\n');
}

function clipLine(line: string): string {
  return line.length > MAX_SEARCH_LINE_CHARS ? `${line.slice(0, MAX_SEARCH_LINE_CHARS)}…` : line;
}
