/**
 * An HTTP proxy that records every request a browser sends through it (method, URL, headers,
 * body) and forwards it; HTTPS tunnels (CONNECT) are recorded and refused. Chromium started with
 * --proxy-server at it and --proxy-bypass-list=<-loopback> sends everything through it, loopback
 * and workers included: the test of what a page sends.
 */
import { type IncomingHttpHeaders, createServer, request as httpRequest } from 'node:http';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RecordingProxy {
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startRecordingProxy(): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const forward = httpRequest(request.url!, { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      forward.on('error', () => response.writeHead(502).end());
      forward.end(body);
    });
  });
  server.on('connect', (request, socket) => {
    requests.push({ method: 'CONNECT', url: request.url ?? '', headers: request.headers, body: Buffer.alloc(0) });
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
