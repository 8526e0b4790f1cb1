import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Token counts as OpenAI reports them: cached tokens are part of prompt_tokens. */
export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
}

/** One scripted answer: a tool call, streamed text, or an HTTP error. */
export type FakeResponse =
  | { toolCall: { name: string; arguments: Record<string, unknown> }; usage?: FakeUsage }
  | { text: string; usage?: FakeUsage }
  | { error: { status: number; message: string } };

export interface FakeOpenAIServer {
  /** e.g. http://127.0.0.1:40123 (the server answers both /v1/chat/completions and /chat/completions). */
  baseURL: string;
  /** The parsed JSON body of every chat-completions request, in order. */
  requests: Array<Record<string, unknown>>;
  /** Every request that arrived, whatever its path: to see where a client sent what. */
  received: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/**
 * A stand-in for an OpenAI-compatible model server, speaking the streaming chat-completions protocol:
 * each request gets the next scripted response as `data: {chunk}` server-sent events, the usage in a
 * last chunk without choices (as OpenAI sends it when `stream_options.include_usage` is set), then
 * `data: [DONE]`. A request beyond the script gets a 500; a script given as a function decides
 * each answer from the request.
 */
export async function startFakeOpenAIServer(
  script: FakeResponse[] | ((body: Record<string, unknown>, index: number) => FakeResponse),
): Promise<FakeOpenAIServer> {
  const requests: FakeOpenAIServer['requests'] = [];
  const received: FakeOpenAIServer['received'] = [];
  let served = 0;

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    if (req.method !== 'POST' || !/^(\/v1)?\/chat\/completions$/.test(req.url ?? '')) {
      return sendError(res, 404, `no route ${req.method} ${req.url}`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return sendError(res, 400, 'the body is not JSON');
    }
    requests.push(body);
    const index = served++;
    // A function answers from the request itself (so a retried request gets the same answer).
    const response = typeof script === 'function' ? script(body, index) : script[index];
    if (!response) return sendError(res, 500, `the fake server has no response number ${index + 1} in its script`);
    if ('error' in response) return sendError(res, response.error.status, response.error.message);
    if (body.stream !== true) return sendError(res, 400, 'the fake server only streams');

    const id = `chatcmpl-fake-${index + 1}`;
    const model = typeof body.model === 'string' ? body.model : 'fake';
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices, ...extra })}\n\n`;

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let finishReason: string;
    if ('toolCall' in response) {
      const args = JSON.stringify(response.toolCall.arguments);
      const half = Math.ceil(args.length / 2);
      const callId = `call_fake_${index + 1}`;
      res.write(
        chunk([
          {
            index: 0,
            delta: {
              role: 'assistant',
              content: null,
              tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: response.toolCall.name, arguments: '' } }],
            },
            finish_reason: null,
          },
        ]),
      );
      // The arguments arrive in pieces, as real servers send them.
      for (const piece of [args.slice(0, half), args.slice(half)]) {
        res.write(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] }, finish_reason: null }]));
      }
      finishReason = 'tool_calls';
    } else {
      res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
      for (const piece of response.text.match(/\S+\s*/g) ?? []) {
        res.write(chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]));
      }
      finishReason = 'stop';
    }
    res.write(chunk([{ index: 0, delta: {}, finish_reason: finishReason }]));
    const usage = response.usage ?? { prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 0 } };
    res.write(chunk([], { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }));
    res.end('data: [DONE]\n\n');
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function sendError(res: http.ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'fake_error', param: null, code: null } }));
}
