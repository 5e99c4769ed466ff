/**
 * Test helper: a tiny HTTP server on 127.0.0.1 (port 0) serving files the test writes, with failure modes
 * (HTTP errors, a connection dropped halfway through the body).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Route {
  /** Response body. */
  body?: Uint8Array;
  /** HTTP status. @defaultValue 200 */
  status?: number;
  /** Destroy the socket after sending this many body bytes (the headers announce the full length). */
  dropAfterBytes?: number;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** Paths requested so far. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves `routes` (keyed by URL path, e.g. `/pneumoniamnist.npz`); other paths get 404. */
export async function startTestServer(routes: Record<string, Route>): Promise<TestServer> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push(path);
    const route = routes[path];
    if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found');
      return;
    }
    const body = route.body ?? new Uint8Array();
    response.writeHead(route.status ?? 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
    });
    if (route.dropAfterBytes !== undefined) {
      response.write(body.subarray(0, route.dropAfterBytes), () => {
        setTimeout(() => response.socket?.destroy(), 20);
      });
      return;
    }
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
