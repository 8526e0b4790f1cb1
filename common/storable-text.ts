/**
 * Text Postgres cannot store: a NUL character (text and jsonb refuse U+0000) or a lone UTF-16
 * surrogate (not valid Unicode: jsonb refuses it, and text would silently change it). The API refuses
 * such text in requests; everything else from outside is made storable, visibly, with U+FFFD.
 */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/** Why `text` cannot be stored as it is, or undefined when it can. */
export function unstorableProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (!text.isWellFormed()) return 'must not contain a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/** `text` with each NUL and lone surrogate replaced by U+FFFD (the same string when there is none). */
export function storableText(text: string): string {
  if (!text.includes('\u0000') && text.isWellFormed()) return text;
  return text.replaceAll('\u0000', REPLACEMENT_CHARACTER).toWellFormed();
}

/**
 * A JSON-like value with every string in it (object keys too) made storable. Iterative, so a deeply
 * nested value cannot overflow the stack; values without such text come back unchanged.
 */
export function storableValue<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (!value || typeof value !== 'object' || !findUnstorableText(value)) return value;
  return JSON.parse(JSON.stringify(value), (_key, v) => (typeof v === 'string' ? storableText(v) : fixKeys(v)));
}

/** How deeply arrays and objects nest in a JSON-like value (0 for a scalar), counted without recursion; stops counting past `limit`. */
export function nestingDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (!current || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return deepest;
}

/** Where in a JSON-like value the first unstorable string is (`a.b[2]`, or `a.<key>` for a key), with the problem. */
export function findUnstorableText(value: unknown): { path: string; problem: string } | undefined {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      const problem = unstorableProblem(current);
      if (problem) return { path, problem };
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: `${path}[${i}]` });
    } else if (current && typeof current === 'object') {
      const entries = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const childPath = path ? `${path}.${key}` : key;
        const keyProblem = unstorableProblem(key);
        if (keyProblem) return { path: childPath, problem: `the field name ${keyProblem}` };
        stack.push({ value: child, path: childPath });
      }
    }
  }
  return undefined;
}

function fixKeys(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.every((key) => storableText(key) === key)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [storableText(key), v]));
}
