// The console's markdown parser: what it makes of plans and summaries, and that any text (a model's,
// steered by whoever wrote the prompt) ends quickly: each step consumes a line.
import { describe, expect, it } from 'vitest';
import { parseMarkdown } from '../../console/src/markdown-blocks.ts';
import { mulberry32 } from '../helpers/seeded-random.ts';

describe("the console's markdown", () => {
  it('makes headings, lists, code blocks and paragraphs, with inline code, bold and italics', () => {
    const blocks = parseMarkdown('## Plan (version 1)\n\nRequest: `x` **now**\n\n1. List the files.\n2. Write *it*.\n\n```\n<b>raw</b>\n```\ntail');
    expect(blocks.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'list', 'code', 'paragraph']);
    expect(blocks[0]).toMatchObject({ kind: 'heading', level: 2 });
    expect(blocks[1]).toMatchObject({
      inline: [
        { kind: 'text', text: 'Request: ' },
        { kind: 'code', text: 'x' },
        { kind: 'text', text: ' ' },
        { kind: 'strong', text: 'now' },
      ],
    });
    expect(blocks[2]).toMatchObject({ kind: 'list', ordered: true });
    expect(blocks[3]).toEqual({ kind: 'code', text: '<b>raw</b>' });
  });

  it('ends on headings holding a lone CR or a line separator, and on any text', () => {
    for (const hostile of ['# Plan\rsteps', '# a\u2028b\n# c\u2029d', '#\t\r', '```', '- ', '1.\t', '   \r\n\r\n#']) {
      expect(parseMarkdown(hostile).length).toBeLessThanOrEqual(hostile.length + 1);
    }
    const random = mulberry32(20261204);
    const alphabet = ['#', ' ', '\t', '\r', '\n', '\u2028', '`', '*', '-', '1', '.', 'a'];
    for (let n = 0; n < 2000; n++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      // A parser that stopped consuming lines would never return (the test would time out).
      expect(parseMarkdown(text).length).toBeLessThanOrEqual(text.length + 1);
    }
  });
});
