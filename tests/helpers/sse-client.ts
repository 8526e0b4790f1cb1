/** One Server-Sent Events frame: an event (`id`, parsed `data`) or a comment line; `at` = performance.now() on arrival. */
export type SseFrame = ({ id?: string; data: any } | { comment: string }) & { at: number };

export interface SseClient {
  status: number;
  /** Every frame received so far. */
  frames: SseFrame[];
  /** The data of every event received so far. */
  readonly events: any[];
  /** Waits until `done(events)` holds (or fails after `timeoutMs`). */
  until(done: (events: any[], frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<any[]>;
  close(): void;
}

/** Opens an SSE stream with fetch and parses its frames as they arrive. */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const frames: SseFrame[] = [];
  let wake: () => void = () => {};
  let ended = false;
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            frames.push({ ...parseFrame(buffer.slice(0, end)), at: performance.now() });
            buffer = buffer.slice(end + 2);
          }
          wake();
        }
      } catch {
        // aborted by close()
      }
      ended = true;
      wake();
    })();
  }
  const client: SseClient = {
    status: response.status,
    frames,
    get events() {
      return frames.flatMap((frame) => ('data' in frame ? [frame.data] : []));
    },
    async until(done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(client.events, frames)) {
        if (ended) throw new Error(`stream ended before the condition held (${client.events.length} events)`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms with ${client.events.length} events`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(left, 200));
        });
      }
      return client.events;
    },
    close: () => abort.abort(),
  };
  return client;
}

function parseFrame(text: string): { id?: string; data: any } | { comment: string } {
  const lines = text.split('\n');
  if (lines.every((line) => line.startsWith(':'))) return { comment: lines.map((line) => line.slice(1).trim()).join('\n') };
  let id: string | undefined;
  const data: string[] = [];
  for (const line of lines) {
    if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return { id, data: JSON.parse(data.join('\n')) };
}
