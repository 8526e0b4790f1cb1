import WebSocket from 'ws';

export interface WsClient {
  socket: WebSocket;
  /** Every message received so far, parsed. */
  messages: any[];
  send(message: unknown): void;
  /** Waits until `done(messages)` holds (or fails after `timeoutMs`). */
  until(done: (messages: any[]) => boolean, timeoutMs?: number): Promise<any[]>;
  close(): void;
}

/** Opens a WebSocket to the API (http URL, `headers` as given) and collects its JSON messages. */
export async function openWs(httpUrl: string, headers: Record<string, string>): Promise<WsClient> {
  const socket = new WebSocket(httpUrl.replace(/^http/, 'ws'), { headers });
  const messages: any[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) =>
      reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode })),
    );
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async until(done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(messages)) {
        if (socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed before the condition held (${messages.length} messages)`);
        if (Date.now() > deadline)
          throw new Error(`timed out after ${timeoutMs} ms with ${messages.length} messages: ${JSON.stringify(messages.slice(-3))}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return messages;
    },
    close: () => socket.close(),
  };
}
