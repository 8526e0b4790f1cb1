import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { StepUsage } from './usage.ts';

/** USD per million tokens of one model. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput: number;
}

/** Prices keyed "<provider>/<model>". */
export type Pricing = Readonly<Record<string, ModelPrice>>;

export class PricingError extends Error {
  override name = 'PricingError';
}

const SHIPPED_PRICING_FILE = fileURLToPath(new URL('../../data/pricing.json', import.meta.url));

const usdPerMillion = z.number().finite().nonnegative();
const priceSchema = z.strictObject({ input: usdPerMillion, output: usdPerMillion, cachedInput: usdPerMillion });
const KEY = /^[^/\s]+\/\S+$/;

/**
 * The shipped price table (data/pricing.json), with an operator's file of the same shape merged over
 * it: an entry there replaces the shipped entry of that model. Keys starting with "_" are comments.
 */
export function loadPricing(overrideFile?: string): Pricing {
  const shipped = readPricingFile(SHIPPED_PRICING_FILE);
  return Object.freeze(overrideFile ? { ...shipped, ...readPricingFile(overrideFile) } : shipped);
}

function readPricingFile(file: string): Record<string, ModelPrice> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PricingError(`pricing file ${file} cannot be read: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PricingError(`pricing file ${file} must hold a JSON object keyed "<provider>/<model>"`);
  }
  const table: Record<string, ModelPrice> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('_')) continue;
    if (!KEY.test(key)) throw new PricingError(`pricing file ${file}, entry "${key}": the key must be "<provider>/<model>"`);
    const parsed = priceSchema.safeParse(value);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
      throw new PricingError(
        `pricing file ${file}, entry "${key}": ${problems.join('; ')} (expected {"input", "output", "cachedInput"} in USD per million tokens)`,
      );
    }
    table[key] = parsed.data;
  }
  return table;
}

export function priceFor(pricing: Pricing, choice: { provider: string; model: string }): ModelPrice | undefined {
  const key = `${choice.provider}/${choice.model}`;
  return Object.hasOwn(pricing, key) ? pricing[key] : undefined;
}

/**
 * The cost of a step in USD, or null when the model has no price (unknown is not free).
 *
 * - Cached input tokens are part of `inputTokens`: they are priced at `cachedInput`, and only the
 *   rest of the input at `input`. A provider reporting more cached than input tokens is read as all
 *   input cached.
 * - Reasoning tokens are part of `outputTokens`: priced once, as output.
 * - Rounded to 1e-9 USD, so that sums of steps do not show float noise.
 */
export function costUsd(price: ModelPrice | undefined, usage: StepUsage): number | null {
  if (!price) return null;
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const uncached = usage.inputTokens - cached;
  const usd = (uncached * price.input + cached * price.cachedInput + usage.outputTokens * price.output) / 1_000_000;
  return Math.round(usd * 1e9) / 1e9;
}
