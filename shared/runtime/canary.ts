/** TCP connect check of a canary endpoint (is the probe's own network working?). */
import { connect } from 'node:net';
import { loopAwareTimeout } from './loop-timer.js';

export function tcpCanary(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    // Like the firewall calls: time the loop spent parsing elsewhere does not count (loop-timer.ts).
    const timer = loopAwareTimeout(timeoutMs, () => done(false));
    const done = (ok: boolean) => {
      timer.clear();
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
