/** Summaries of a benchmark's samples. */

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const median = (samples: number[]): number => percentile(samples, 50);

/** "min / median / max" of repetitions, with `digits` decimals. */
export function spread(samples: number[], digits = 2): string {
  if (samples.length === 0) return 'n/a';
  if (samples.length === 1) return samples[0]!.toFixed(digits);
  return `${Math.min(...samples).toFixed(digits)} / ${median(samples).toFixed(digits)} / ${Math.max(...samples).toFixed(digits)}`;
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function inPool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}
