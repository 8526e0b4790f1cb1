import { type Inline, parseMarkdown } from '../markdown-blocks.ts';

/** Plans and summaries as elements (see markdown-blocks.ts): headings, lists, code blocks, paragraphs. */
export function Markdown({ text }: { text: string }) {
  return (
    <div class="markdown">
      {parseMarkdown(text).map((block, i) => {
        if (block.kind === 'code')
          return (
            <pre key={i}>
              <code>{block.text}</code>
            </pre>
          );
        if (block.kind === 'heading') {
          const Tag = `h${Math.min(block.level + 2, 6)}` as 'h3';
          return <Tag key={i}>{inline(block.inline)}</Tag>;
        }
        if (block.kind === 'list') {
          const items = block.items.map((item, j) => <li key={j}>{inline(item)}</li>);
          return block.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>;
        }
        return <p key={i}>{inline(block.inline)}</p>;
      })}
    </div>
  );
}

function inline(parts: Inline[]) {
  return parts.map((part, i) =>
    part.kind === 'code' ? (
      <code key={i}>{part.text}</code>
    ) : part.kind === 'strong' ? (
      <strong key={i}>{part.text}</strong>
    ) : part.kind === 'em' ? (
      <em key={i}>{part.text}</em>
    ) : (
      part.text
    ),
  );
}
