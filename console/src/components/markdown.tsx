import type { ComponentChildren } from 'preact';

/**
 * A small markdown renderer for plans and summaries: headings, lists, code blocks, paragraphs, and
 * inline code, bold and italics. It builds elements from the text (never HTML), so a model's text
 * cannot inject markup.
 */
export function Markdown({ text }: { text: string }) {
  const blocks: ComponentChildren[] = [];
  const lines = text.replaceAll('\r\n', '\n').split('\n');
  for (let i = 0; i < lines.length; ) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) code.push(lines[i]!);
      i++;
      blocks.push(
        <pre key={blocks.length}>
          <code>{code.join('\n')}</code>
        </pre>,
      );
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const Tag = `h${Math.min(heading[1]!.length + 2, 6)}` as 'h3';
      blocks.push(<Tag key={blocks.length}>{inline(heading[2]!)}</Tag>);
      i++;
      continue;
    }
    const item = /^\s*([-*]|\d+\.)\s+/;
    if (item.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items: ComponentChildren[] = [];
      for (; i < lines.length && item.test(lines[i]!); i++) items.push(<li key={items.length}>{inline(lines[i]!.replace(item, ''))}</li>);
      blocks.push(ordered ? <ol key={blocks.length}>{items}</ol> : <ul key={blocks.length}>{items}</ul>);
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const paragraph: string[] = [];
    for (; i < lines.length && lines[i]!.trim() !== '' && !lines[i]!.startsWith('```') && !/^#{1,6}\s/.test(lines[i]!) && !item.test(lines[i]!); i++)
      paragraph.push(lines[i]!);
    blocks.push(<p key={blocks.length}>{inline(paragraph.join(' '))}</p>);
  }
  return <div class="markdown">{blocks}</div>;
}

/** `code`, **bold** and *italics* within a line. */
function inline(text: string): ComponentChildren[] {
  const parts: ComponentChildren[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*/g;
  let last = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    if (match[1] !== undefined) parts.push(<code key={parts.length}>{match[1]}</code>);
    else if (match[2] !== undefined) parts.push(<strong key={parts.length}>{match[2]}</strong>);
    else parts.push(<em key={parts.length}>{match[3]}</em>);
    last = pattern.lastIndex;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}
