/**
 * The client against a real HTTPS endpoint on 127.0.0.1 serving the captured PAN-OS bodies:
 * request format, operations end to end, error mapping, timeouts, size limit, cancellation.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FirewallApiError,
  FirewallAuthError,
  FirewallMalformedResponseError,
  FirewallTimeoutError,
  FirewallUnreachableError,
} from '#shared/errors.js';
import { PANOS_COMMANDS, PanosClient, buildResponse, type PanosClientOptions } from '#shared/adapters/panos/index.js';
import {
  closedPort,
  makeTestCertificates,
  startFakePanos,
  startSilentTcpServer,
  type FakePanos,
  type ReceivedRequest,
  type Reply,
  type TestCertificates,
} from '../fixtures/panos/fake-panos-server.js';

const KEY = 'LUFRPT1-Y2xpZW50LXRlc3Qta2V5LXZhbHVl==';
const fixture = (name: string) => readFileSync(new URL(`../fixtures/panos/${name}`, import.meta.url), 'utf8');

let certs: TestCertificates;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  certs = await makeTestCertificates();
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function serve(handler: (req: ReceivedRequest) => Reply | Promise<Reply>): Promise<FakePanos> {
  const server = await startFakePanos({ key: certs.selfSignedA.key, cert: certs.selfSignedA.cert, handler });
  cleanups.push(() => server.close());
  return server;
}

function clientFor(port: number, options: Partial<PanosClientOptions> = {}): PanosClient {
  return new PanosClient({
    host: '127.0.0.1',
    port,
    apiKey: KEY,
    tls: { pinnedSha256: certs.selfSignedA.sha256 },
    timeoutMs: 5000,
    ...options,
  });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** Serves fixtures by command, as a firewall would. */
function firewall(bodies: Partial<Record<keyof typeof PANOS_COMMANDS, string>>) {
  return (req: ReceivedRequest): Reply => {
    const entry = Object.entries(PANOS_COMMANDS).find(([, cmd]) => cmd === req.form.get('cmd'));
    const body = entry ? bodies[entry[0] as keyof typeof PANOS_COMMANDS] : undefined;
    return body === undefined ? { status: 200, body: '<response status="error" code="17"><msg>unknown command</msg></response>' } : { status: 200, body };
  };
}

describe('request format', () => {
  it('POSTs a form to /api/ with the key only in X-PAN-KEY', async () => {
    const server = await serve(firewall({ systemInfo: fixture('show-system-info-pavm-kvm-8.1.3.xml') }));
    await clientFor(server.port).systemInfo();
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/api/');
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req?.headers['x-pan-key']).toBe(KEY);
    expect(req?.form.get('type')).toBe('op');
    expect(req?.form.get('cmd')).toBe('<show><system><info></info></system></show>');
    // URL-encoded: no raw angle brackets in the body.
    expect(req?.body).not.toContain('<');
    expect(req?.body).not.toContain(KEY);
    expect(req?.path).not.toContain(KEY);
    expect([...(req?.form.keys() ?? [])]).toEqual(['type', 'cmd']);
  });

  it('sends config reads as type=config&action=show&xpath=..., URL-encoded', async () => {
    const server = await serve(() => ({ status: 200, body: fixture('config-get-success-code19.xml') }));
    const xpath = "/config/devices/entry[@name='localhost.localdomain']/network/virtual-router/entry[@name='default']";
    await clientFor(server.port).configShow(xpath);
    const [req] = server.requests;
    expect(req?.form.get('type')).toBe('config');
    expect(req?.form.get('action')).toBe('show');
    expect(req?.form.get('xpath')).toBe(xpath);
    expect(req?.body).not.toContain("'");
    expect(req?.body).not.toContain('[');
  });
});

describe('operations end to end', () => {
  it('systemInfo, chassisReady and jobs from real bodies', async () => {
    const server = await serve(
      firewall({
        systemInfo: fixture('show-system-info-pa400-10.2.11.xml'),
        chassisReady: fixture('show-chassis-ready-yes.RECONSTRUCTED.xml'),
        jobsAll: fixture('show-jobs-all-with-failed-job-fixture.xml'),
      }),
    );
    const api = clientFor(server.port);
    expect(api.target).toBe(`127.0.0.1:${server.port}`);
    await expect(api.systemInfo()).resolves.toMatchObject({ swVersion: '10.2.11-h12', uptimeSeconds: 5_647_479, advancedRouting: false });
    await expect(api.chassisReady()).resolves.toBe(true);
    const jobs = await api.jobs();
    expect(jobs.map((j) => j.type)).toEqual(['WildFire', 'Failed-Job', 'AutoCom']);
  });

  it('ipsecState joins the three calls', async () => {
    const server = await serve(
      firewall({
        ikeSa: fixture('show-vpn-ike-sa-ikev1-main-mode.xml'),
        ipsecSa: fixture('show-vpn-ipsec-sa-3des-md5.xml'),
        vpnFlow: fixture('show-vpn-flow-detail-active.xml'),
      }),
    );
    const tunnels = await clientFor(server.port).ipsecState();
    expect(tunnels).toEqual([
      {
        name: 'c1000v',
        tunnel: 'c1000v',
        proxyId: undefined,
        flowState: 'active',
        monitor: 'off',
        ipsecSa: true,
        ikeSa: true,
        peerIp: '192.168.122.30',
        up: true,
      },
    ]);
    expect(server.requests.map((r) => r.form.get('cmd')).sort()).toEqual(
      [PANOS_COMMANDS.ikeSa, PANOS_COMMANDS.ipsecSa, PANOS_COMMANDS.vpnFlow].sort(),
    );
  });

  it('ipsecState with no tunnels configured is []', async () => {
    const server = await serve(
      firewall({
        ikeSa: fixture('show-vpn-ike-sa-empty.xml'),
        ipsecSa: fixture('show-vpn-ipsec-sa-none-configured.xml'),
        vpnFlow: fixture('show-vpn-flow-none-configured.xml'),
      }),
    );
    await expect(clientFor(server.port).ipsecState()).resolves.toEqual([]);
  });

  it('ipsecState reports the real failure at once and abandons the sibling calls', async () => {
    const server = await serve((req) =>
      req.form.get('cmd') === PANOS_COMMANDS.ipsecSa ? { status: 403, body: fixture('error-403-invalid-credential.xml') } : 'hang',
    );
    const started = performance.now();
    const e = await failure(clientFor(server.port, { timeoutMs: 20_000 }).ipsecState());
    expect(e).toBeInstanceOf(FirewallAuthError);
    // Far below the 20 s budget: the hanging siblings were aborted, not waited for.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('configShow: subtree, code 7 and "No such node"', async () => {
    const bodies = [
      fixture('config-get-success-code19.xml'),
      fixture('config-get-object-not-present-code7.xml'),
      fixture('error-no-such-node.xml'),
    ];
    const server = await serve(() => ({ status: 200, body: bodies.shift() ?? '' }));
    const api = clientFor(server.port);
    await expect(api.configShow('/config/x')).resolves.toEqual({
      '@_total-count': '1',
      '@_count': '1',
      entry: [{ '@_name': 'Test-One', 'ip-netmask': '1.1.1.1' }],
    });
    await expect(api.configShow('/config/y')).resolves.toBeUndefined();
    await expect(api.configShow('/config/z')).resolves.toBeUndefined();
  });
});

describe('error mapping', () => {
  it('HTTP 403 with the real Invalid Credential body -> FirewallAuthError', async () => {
    const server = await serve(() => ({ status: 403, body: fixture('error-403-invalid-credential.xml') }));
    const e = await failure(clientFor(server.port).systemInfo());
    expect(e).toBeInstanceOf(FirewallAuthError);
    expect(e.message).toContain('Invalid Credential');
    expect(e.message).not.toContain(KEY);
  });

  it('HTTP 400 with an XML body -> FirewallApiError with code and httpStatus', async () => {
    const server = await serve(() => ({ status: 400, body: fixture('error-400-bad-request.xml') }));
    const e = (await failure(clientFor(server.port).systemInfo())) as FirewallApiError;
    expect(e).toBeInstanceOf(FirewallApiError);
    expect(e.code).toBe(400);
    expect(e.httpStatus).toBe(400);
  });

  it('HTTP 502 with an HTML page -> retryable FirewallApiError with httpStatus', async () => {
    const server = await serve(() => ({ status: 502, body: '<html><body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>' }));
    const e = (await failure(clientFor(server.port).chassisReady())) as FirewallApiError;
    expect(e).toBeInstanceOf(FirewallApiError);
    expect(e.httpStatus).toBe(502);
    expect(e.retryable).toBe(true);
  });

  it('HTTP 200 with an HTML page -> FirewallMalformedResponseError', async () => {
    const server = await serve(() => ({ status: 200, body: '<!DOCTYPE html><html><body>Please log in</body></html>' }));
    expect(await failure(clientFor(server.port).systemInfo())).toBeInstanceOf(FirewallMalformedResponseError);
  });

  it('an error message that echoes the key is redacted', async () => {
    const server = await serve(() => ({ status: 200, body: `<response status="error" code="12"><msg>key ${KEY} not allowed</msg></response>` }));
    const e = await failure(clientFor(server.port).jobs());
    expect(e).toBeInstanceOf(FirewallApiError);
    expect(e.message).not.toContain(KEY);
    expect(JSON.stringify(e)).not.toContain(KEY);
  });

  it('status="unauth", code 16 and code 22 with HTTP 200 are a refused key (FirewallAuthError), not a dead firewall', async () => {
    for (const body of [
      '<response status="unauth" code="16"><msg><line>Unauthorized request</line></msg></response>',
      "<response status = 'error' code = '16'><msg>Unauthorized</msg></response>",
      '<response status="error" code="22"><msg>Session timed out</msg></response>',
    ]) {
      const server = await serve(() => ({ status: 200, body }));
      const e = await failure(clientFor(server.port).systemInfo());
      expect(e, body).toBeInstanceOf(FirewallAuthError);
      expect(e.message).toMatch(/\(code (16|22)\)$/);
    }
  });

  it('connection refused -> FirewallUnreachableError', async () => {
    const e = await failure(clientFor(await closedPort()).systemInfo());
    expect(e).toBeInstanceOf(FirewallUnreachableError);
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('connection dropped after the request, without an answer -> FirewallUnreachableError', async () => {
    const server = await serve(() => 'drop');
    const e = await failure(clientFor(server.port).systemInfo());
    expect(e).toBeInstanceOf(FirewallUnreachableError);
    expect(e.message).toContain('ECONNRESET');
  });
});

describe('timeouts and cancellation', () => {
  it('a server that accepts TCP and never answers costs about the timeout', async () => {
    const silent = await startSilentTcpServer();
    cleanups.push(() => silent.close());
    const timeoutMs = 1000;
    const started = performance.now();
    const e = await failure(clientFor(silent.port, { timeoutMs }).systemInfo());
    const elapsed = performance.now() - started;
    expect(e).toBeInstanceOf(FirewallTimeoutError);
    expect(silent.accepted()).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(elapsed).toBeLessThan(timeoutMs + 2000);
  });

  it('the connect timeout applies to TCP + TLS, before the total budget', async () => {
    const silent = await startSilentTcpServer();
    cleanups.push(() => silent.close());
    const started = performance.now();
    const e = await failure(clientFor(silent.port, { timeoutMs: 20_000, connectTimeoutMs: 500 }).systemInfo());
    expect(e).toBeInstanceOf(FirewallTimeoutError);
    expect(e.message).toContain('TLS connection not established within 500 ms');
    expect(performance.now() - started).toBeLessThan(500 + 2000);
  });

  it('connect timeout defaults to min(timeoutMs, 3000)', async () => {
    const silent = await startSilentTcpServer();
    cleanups.push(() => silent.close());
    const e = await failure(clientFor(silent.port, { timeoutMs: 800 }).systemInfo());
    expect(e.message).toContain('within 800 ms');
  });

  it('TLS up but no HTTP answer -> FirewallTimeoutError after the total budget', async () => {
    const server = await serve(() => 'hang');
    const timeoutMs = 1000;
    const started = performance.now();
    const e = await failure(clientFor(server.port, { timeoutMs }).chassisReady());
    const elapsed = performance.now() - started;
    expect(e).toBeInstanceOf(FirewallTimeoutError);
    expect(e.message).toContain(`no complete answer within ${timeoutMs} ms`);
    expect(server.requests).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(elapsed).toBeLessThan(timeoutMs + 2000);
  });

  it('a loop held by a long parse (of the other firewall\'s answer) does not time out a firewall that answered', async () => {
    // The firewall answers 150 ms after the request; meanwhile the loop is held for 1.2 s, far
    // past the 400 ms budget. A plain timer would fire first on release and call a healthy
    // firewall dead; the budget counts only time the loop could have read the answer.
    const server = await serve(async () => {
      await new Promise((r) => setTimeout(r, 150));
      return { status: 200, body: fixture('show-chassis-ready-yes.RECONSTRUCTED.xml') };
    });
    const call = clientFor(server.port, { timeoutMs: 400 }).chassisReady();
    await new Promise((r) => setTimeout(r, 20));
    const end = performance.now() + 1200;
    while (performance.now() < end) {
      // busy: a synchronous parse elsewhere in the probe
    }
    await expect(call).resolves.toBe(true);
  });

  it('a firewall that never answers still times out when the loop was held (within twice the budget of loop time)', async () => {
    const server = await serve(() => 'hang');
    const started = performance.now();
    const call = failure(clientFor(server.port, { timeoutMs: 400 }).chassisReady());
    const end = performance.now() + 1000;
    while (performance.now() < end) {
      // busy
    }
    const e = await call;
    expect(e).toBeInstanceOf(FirewallTimeoutError);
    expect(performance.now() - started).toBeLessThan(1000 + 400 + 2000);
  });

  it('an external abort signal ends the call as a timeout', async () => {
    const server = await serve(() => 'hang');
    const controller = new AbortController();
    const call = clientFor(server.port, { timeoutMs: 20_000 }).systemInfo({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('deadline')), 200);
    const started = performance.now();
    const e = await failure(call);
    expect(e).toBeInstanceOf(FirewallTimeoutError);
    expect(e.message).toContain('aborted');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('an already aborted signal does not even connect', async () => {
    const server = await serve(() => ({ status: 200, body: buildResponse('yes') }));
    const e = await failure(clientFor(server.port).chassisReady({ signal: AbortSignal.abort() }));
    expect(e).toBeInstanceOf(FirewallTimeoutError);
    expect(server.tcpConnections()).toBe(0);
  });
});

describe('response size limit', () => {
  it('refuses an endless body while streaming (never buffers it whole)', async () => {
    const chunk = Buffer.alloc(16 * 1024, 'a');
    function* endless() {
      yield Buffer.from('<response status="success"><result>');
      for (;;) yield chunk;
    }
    const server = await serve(() => ({ status: 200, stream: endless() }));
    const e = await failure(clientFor(server.port, { maxResponseBytes: 64 * 1024 }).systemInfo());
    expect(e).toBeInstanceOf(FirewallMalformedResponseError);
    expect(e.message).toContain('65536-byte limit');
    // The server stopped being read soon after the limit (socket buffers allow some slack).
    expect(server.streamedBytes()).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a declared Content-Length over the default 512 KiB (a configuration read: no command cap of its own)', async () => {
    const big = buildResponse(`<![CDATA[${'x'.repeat(600 * 1024)}]]>`);
    const server = await serve(() => ({ status: 200, body: big }));
    const e = await failure(clientFor(server.port).configShow('/config/devices'));
    expect(e).toBeInstanceOf(FirewallMalformedResponseError);
    expect(e.message).toContain('524288-byte limit');
  });

  it('accepts a body just under the limit', async () => {
    const body = buildResponse(`<![CDATA[yes]]>`) + ' '.repeat(1000);
    const server = await serve(() => ({ status: 200, body }));
    await expect(clientFor(server.port, { maxResponseBytes: Buffer.byteLength(body) }).chassisReady()).resolves.toBe(true);
  });
});
