import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LanguageModelUsage } from 'ai';
import { afterAll, describe, expect, it } from 'vitest';
import { costUsd, loadPricing, priceFor } from '../../activities/models/pricing.ts';
import { toStepUsage } from '../../activities/models/usage.ts';

const NO_USAGE = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };

import { DEMO_MODEL_IDS } from '../../common/models.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-runs-pricing-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function pricingFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const sdkUsage = (usage: Partial<LanguageModelUsage>): LanguageModelUsage => ({
  inputTokens: undefined,
  inputTokenDetails: { noCacheTokens: undefined, cacheReadTokens: undefined, cacheWriteTokens: undefined },
  outputTokens: undefined,
  outputTokenDetails: { textTokens: undefined, reasoningTokens: undefined },
  totalTokens: undefined,
  ...usage,
});

describe('usage', () => {
  it('reads the AI SDK usage, unknown counts as 0', () => {
    expect(toStepUsage(sdkUsage({}))).toEqual(NO_USAGE);
    const step = toStepUsage(
      sdkUsage({
        inputTokens: 1200,
        inputTokenDetails: { noCacheTokens: 200, cacheReadTokens: 1000, cacheWriteTokens: 0 },
        outputTokens: 300,
        outputTokenDetails: { textTokens: 100, reasoningTokens: 200 },
      }),
    );
    expect(step).toEqual({ inputTokens: 1200, outputTokens: 300, cachedInputTokens: 1000, reasoningTokens: 200 });
  });
});

describe('pricing', () => {
  const override = pricingFile('override.json', {
    _comment: 'our negotiated prices',
    'openai-compatible/local-model': { input: 0.5, output: 1.5, cachedInput: 0.05 },
    'openai/gpt-4o': { input: 3, output: 12, cachedInput: 1.5 },
  });

  it('ships prices for the demo models (free) and known models, each entry valid', () => {
    const pricing = loadPricing();
    for (const model of DEMO_MODEL_IDS) expect(priceFor(pricing, { provider: 'demo', model })).toEqual({ input: 0, output: 0, cachedInput: 0 });
    expect(priceFor(pricing, { provider: 'openai', model: 'gpt-4o-mini' })).toBeDefined();
    expect(priceFor(pricing, { provider: 'anthropic', model: 'claude-sonnet-4-5' })).toBeDefined();
    expect(
      costUsd(priceFor(pricing, { provider: 'demo', model: 'demo' }), {
        inputTokens: 5000,
        outputTokens: 700,
        cachedInputTokens: 0,
        reasoningTokens: 0,
      }),
    ).toBe(0);
    const shipped = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../data/pricing.json'), 'utf8'));
    expect(shipped._comment).toMatch(/must check/);
  });

  it('merges an operator file over the shipped table', () => {
    const pricing = loadPricing(override);
    expect(priceFor(pricing, { provider: 'openai-compatible', model: 'local-model' })).toEqual({ input: 0.5, output: 1.5, cachedInput: 0.05 });
    expect(priceFor(pricing, { provider: 'openai', model: 'gpt-4o' })).toEqual({ input: 3, output: 12, cachedInput: 1.5 });
    expect(priceFor(pricing, { provider: 'openai', model: 'gpt-4o-mini' })).toEqual(
      priceFor(loadPricing(), { provider: 'openai', model: 'gpt-4o-mini' }),
    );
    expect(priceFor(pricing, { provider: '_comment', model: '' })).toBeUndefined();
  });

  it('prices a step to the cent: cached input at its own rate, reasoning once as output', () => {
    const price = priceFor(loadPricing(override), { provider: 'openai', model: 'gpt-4o' });
    const usage = { inputTokens: 120_000, cachedInputTokens: 20_000, outputTokens: 30_000, reasoningTokens: 10_000 };
    // 100k uncached × $3/M = 0.30, 20k cached × $1.50/M = 0.03, 30k output × $12/M = 0.36
    expect(costUsd(price, usage)).toBe(0.69);
    expect(costUsd(price, { ...usage, cachedInputTokens: 0 })).toBe(0.72);
    expect(costUsd(price, { ...usage, reasoningTokens: 0 })).toBe(0.69);

    const local = priceFor(loadPricing(override), { provider: 'openai-compatible', model: 'local-model' });
    // 1000 uncached × 0.5 + 3 × 0.05 + 7 × 1.5, per million: no float noise after rounding to 1e-9
    expect(costUsd(local, { inputTokens: 1003, cachedInputTokens: 3, outputTokens: 7, reasoningTokens: 0 })).toBe(0.00051065);
  });

  it('has no cost (null, not 0) for a model without a price', () => {
    const pricing = loadPricing(override);
    expect(priceFor(pricing, { provider: 'openai-compatible', model: 'other-model' })).toBeUndefined();
    expect(costUsd(priceFor(pricing, { provider: 'openai-compatible', model: 'other-model' }), { ...NO_USAGE, inputTokens: 10 })).toBeNull();
  });

  it('refuses an override file with a bad entry, naming the file and the entry', () => {
    const badPrice = pricingFile('bad-price.json', { 'openai/gpt-4o': { input: '3', output: 12 } });
    expect(() => loadPricing(badPrice)).toThrow(`pricing file ${badPrice}, entry "openai/gpt-4o": input: `);
    expect(() => loadPricing(badPrice)).toThrow(/cachedInput/);

    const negative = pricingFile('negative.json', { 'openai/gpt-4o': { input: -1, output: 12, cachedInput: 1 } });
    expect(() => loadPricing(negative)).toThrow(/entry "openai\/gpt-4o": input: /);

    const badKey = pricingFile('bad-key.json', { 'gpt-4o': { input: 3, output: 12, cachedInput: 1.5 } });
    expect(() => loadPricing(badKey)).toThrow(`pricing file ${badKey}, entry "gpt-4o": the key must be "<provider>/<model>"`);

    const notJson = pricingFile('not-json.json', '{ "openai/gpt-4o": ');
    expect(() => loadPricing(notJson)).toThrow(`pricing file ${notJson} cannot be read`);
    expect(() => loadPricing(path.join(dir, 'missing.json'))).toThrow(/missing\.json cannot be read/);
  });
});
