import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpCanary } from '#shared/runtime/canary.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listening(): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('tcpCanary', () => {
  it('is true for a listening port and false for a closed one', async () => {
    const port = await listening();
    expect(await tcpCanary('127.0.0.1', port, 1000)).toBe(true);
    servers.splice(0).forEach((s) => s.close());
    expect(await tcpCanary('127.0.0.1', port, 1000)).toBe(false);
  });

  it('a loop held past the timeout does not turn a reachable canary into "my network is down"', async () => {
    const port = await listening();
    const check = tcpCanary('127.0.0.1', port, 200);
    const end = performance.now() + 800;
    while (performance.now() < end) {
      // busy: a synchronous parse elsewhere in the probe
    }
    expect(await check).toBe(true);
  });
});
