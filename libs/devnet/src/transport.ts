import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { DevnetNode, type DevnetOptions } from './node';

/** Largest JSON-RPC message accepted, in bytes. */
const maxMessageBytes = 16 * 1024 * 1024;

export interface WebSocketAttachment {
  /** Disconnects every client and stops taking upgrades. */
  close(): Promise<void>;
  readonly clientCount: number;
}

/**
 * Serves the node's JSON-RPC over WebSocket on an existing HTTP server (any path), the way a Substrate
 * node shares its RPC port between HTTP and WebSocket.
 */
export function attachWebSocket(node: DevnetNode, server: Server): WebSocketAttachment {
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    wss.handleUpgrade(request, socket, head, (ws) => {
      wss.emit('connection', ws, request);
    });
  };
  server.on('upgrade', onUpgrade);
  wss.on('connection', (ws: WebSocket) => {
    const session = node.openSession((text) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    });
    ws.on('message', (data: Buffer) => {
      void node.handleText(session, data.toString('utf8')).then((reply) => {
        if (reply !== undefined && ws.readyState === WebSocket.OPEN) ws.send(reply);
      });
    });
    ws.on('close', () => {
      node.closeSession(session);
    });
    ws.on('error', () => {
      ws.terminate();
    });
  });
  return {
    get clientCount() {
      return wss.clients.size;
    },
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.off('upgrade', onUpgrade);
        for (const client of wss.clients) client.terminate();
        wss.close(() => {
          resolvePromise();
        });
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxMessageBytes) {
        reject(new Error('request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => {
      resolvePromise(Buffer.concat(chunks).toString('utf8'));
    });
    request.once('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(body === undefined ? '' : JSON.stringify(body));
}

/** A running standalone devnet (its own HTTP server): for tests and tools; the app serves it through Nest. */
export interface RunningDevnet {
  node: DevnetNode;
  port: number;
  /** ws://host:port */
  url: string;
  close(): Promise<void>;
}

export interface StartDevnetOptions extends DevnetOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}

/** Starts a node with its own HTTP server: JSON-RPC over POST / and WebSocket on one port. */
export async function startDevnet(options: StartDevnetOptions): Promise<RunningDevnet> {
  const node = await DevnetNode.create(options);
  const server = createServer((request, response) => {
    if (request.method !== 'POST') {
      reply(response, request.method === 'GET' && request.url === '/health' ? 200 : 405, { status: 'ok' });
      return;
    }
    readBody(request).then(
      async (text) => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          reply(response, 200, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
          return;
        }
        reply(response, 200, await node.handleHttp(body));
      },
      () => {
        reply(response, 413, {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32600, message: 'Invalid request' },
        });
      },
    );
  });
  const sockets = attachWebSocket(node, server);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      resolvePromise();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    node,
    port,
    url: `ws://${host}:${port}`,
    close: async () => {
      node.close();
      await sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolvePromise) => {
        server.close(() => {
          resolvePromise();
        });
      });
    },
  };
}
