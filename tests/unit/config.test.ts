import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJsonConfigFile } from '#shared/config/load-json.js';
import { loadConfigFile, parseConfig, validateConfig } from '#shared/config/load.js';
import { ConfigInvalidError } from '#shared/errors.js';
import { exampleRaw } from '../support/config.js';

function rejects(mutate: (raw: ReturnType<typeof exampleRaw>) => void): ConfigInvalidError {
  const raw = exampleRaw();
  mutate(raw);
  try {
    validateConfig(raw, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigInvalidError);
    return e as ConfigInvalidError;
  }
  throw new Error('config was accepted');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const pair0 = (raw: ReturnType<typeof exampleRaw>): Any => raw.pairs[0];

describe('configuration', () => {
  it('accepts the shipped example and fills defaults', async () => {
    const config = await loadConfigFile('examples/hq-egress.yaml');
    const pair = config.pairs[0]!;
    expect(pair.name).toBe('hq-egress');
    expect(pair.routes).toHaveLength(4);
    expect(pair.elasticIps.map((e) => e.primary.privateIp)).toEqual(['10.10.1.10', '10.10.1.11']);
    expect(pair.probe.failuresBeforeFailover).toBe(3);
    expect(pair.cutover.concurrency).toBe(10);
    expect(pair.failback.mode).toBe('manual');
    expect(Object.isFrozen(pair.routes[0])).toBe(true);
  });

  it('refuses an Elastic IP allocation as a route target, naming the field', () => {
    const e = rejects((raw) => (pair0(raw).routes[1].targets.secondary = 'eipalloc-0e000000000000001'));
    expect(e.issues).toEqual([
      expect.objectContaining({ path: 'pairs[0].routes[1].targets.secondary', message: expect.stringContaining('is an Elastic IP') }),
    ]);
  });

  it('refuses a public address (the EIP) as a next hop', () => {
    const e = rejects((raw) => (pair0(raw).routes[0].targets.primary = '198.51.100.10'));
    expect(e.message).toContain('pairs[0].routes[0].targets.primary');
    expect(e.message).toContain('public address');
  });

  it('refuses a private address as a route target: VPC routes target ENIs', () => {
    const e = rejects((raw) => (pair0(raw).routes[0].targets.primary = '10.10.1.10'));
    expect(e.issues[0]?.message).toContain('not an IP');
  });

  it('refuses one ENI used by both firewalls', () => {
    const e = rejects((raw) => (pair0(raw).routes[2].targets.secondary = 'eni-0a000000000000011'));
    expect(e.issues.some((i) => i.path === 'pairs[0].routes[2].targets.secondary' && i.message.includes('both firewalls'))).toBe(true);
  });

  it('refuses an ENI of one side reused for an EIP on the other side', () => {
    const e = rejects((raw) => (pair0(raw).elasticIps[0].secondary.networkInterfaceId = 'eni-0a000000000000012'));
    expect(e.message).toContain('pairs[0].elasticIps[0].secondary.networkInterfaceId');
  });

  it('refuses an Elastic IP mapped twice', () => {
    const e = rejects((raw) => (pair0(raw).elasticIps[1].allocationId = 'eipalloc-0e000000000000001'));
    expect(e.issues).toContainEqual({ path: 'pairs[0].elasticIps[1].allocationId', message: expect.stringContaining('mapped twice') });
  });

  it('refuses two EIPs on the same private IP of one side', () => {
    const e = rejects((raw) => (pair0(raw).elasticIps[1].primary.privateIp = '10.10.1.10'));
    expect(e.issues[0]?.path).toBe('pairs[0].elasticIps[1].primary.privateIp');
  });

  it('refuses an EIP without a mapping for one side', () => {
    const e = rejects((raw) => delete pair0(raw).elasticIps[0].secondary);
    expect(e.issues[0]?.path).toBe('pairs[0].elasticIps[0].secondary');
  });

  it('refuses duplicate routes', () => {
    const e = rejects((raw) => pair0(raw).routes.push({ ...pair0(raw).routes[0] }));
    expect(e.issues[0]).toEqual({ path: 'pairs[0].routes[4].destination', message: expect.stringContaining('duplicate route') });
  });

  it('refuses a route destination with host bits set (EC2 keeps the network address: the route would never be found)', () => {
    const e = rejects((raw) => (pair0(raw).routes[2].destination = '172.16.0.5/12'));
    expect(e.issues).toEqual([
      { path: 'pairs[0].routes[2].destination', message: '172.16.0.5/12 has host bits set: EC2 keeps it as 172.16.0.0/12, so the route would never be found; write 172.16.0.0/12' },
    ]);
  });

  it("refuses a canary that is one of the pair's own firewalls or Elastic IPs, or a loopback address", () => {
    const e = rejects((raw) => {
      pair0(raw).probe.canaries = [
        { host: '10.10.0.10', port: 443 },
        { host: '198.51.100.10', port: 443 },
        { host: '127.0.0.1', port: 443 },
        { host: '10.0.99.1', port: 443 },
      ];
    });
    expect(e.issues.map((i) => i.path)).toEqual(['pairs[0].probe.canaries[0].host', 'pairs[0].probe.canaries[1].host', 'pairs[0].probe.canaries[2].host']);
    expect(e.issues[0]?.message).toContain('is the management address of fw-a');
    expect(e.issues[1]?.message).toContain('is Elastic IP eipalloc-0e000000000000001 of this pair');
    expect(e.issues[2]?.message).toContain('is a loopback address');
  });

  it('refuses unknown keys with their name and path', () => {
    const e = rejects((raw) => (pair0(raw).probe.intervalSecond = 5));
    expect(e.issues[0]).toEqual({ path: 'pairs[0].probe', message: 'unknown key "intervalSecond": did you mean "intervalSeconds"?' });
    // Far from every known key: no guess.
    expect(rejects((raw) => (pair0(raw).probe.colour = 'red')).issues[0]).toEqual({ path: 'pairs[0].probe', message: 'unknown key "colour"' });
  });

  it('says "required" for a missing field, "the file is empty" for an empty file, and the line to fix for a YAML error', () => {
    expect(rejects((raw) => delete pair0(raw).firewalls.primary.instanceId).issues[0]).toEqual({ path: 'pairs[0].firewalls.primary.instanceId', message: 'required' });
    for (const empty of ['', '\n# nothing yet\n']) {
      expect(() => parseConfig(empty, 'x.yaml')).toThrow(/x\.yaml: the file is empty/);
    }
    const text = readFileSync(new URL('../../examples/hq-egress.yaml', import.meta.url), 'utf8').replace('\n    fencing: stop', '\n      fencing: stop');
    const line = text.split('\n').findIndex((l) => l === '      fencing: stop') + 1;
    expect(() => parseConfig(text, 'x.yaml')).toThrow(new RegExp(`line ${line}, column 7: not valid YAML/JSON: .*indented deeper than the line above it\\): fencing: stop`));
  });

  it('validates the second example, examples/tokyo-egress.yaml (ap-northeast-1, notifications in Japanese)', async () => {
    const config = await loadConfigFile('examples/tokyo-egress.yaml');
    expect(config.pairs[0]?.firewalls.secondary.availabilityZone).toBe('ap-northeast-1c');
    expect(config.notifications.language).toBe('ja');
  });

  it('refuses a failure threshold of one (a blip would fail over)', () => {
    const e = rejects((raw) => (pair0(raw).probe.failuresBeforeFailover = 1));
    expect(e.issues[0]?.path).toBe('pairs[0].probe.failuresBeforeFailover');
  });

  it('refuses a public management address (it would route through the firewall itself)', () => {
    const e = rejects((raw) => (pair0(raw).firewalls.secondary.management.host = '203.0.113.7'));
    expect(e.issues[0]?.path).toBe('pairs[0].firewalls.secondary.management.host');
  });

  it('refuses a DNS record following an EIP the pair does not manage', () => {
    const e = rejects((raw) => (pair0(raw).dnsRecords[0].followElasticIp = 'eipalloc-0e00000000000000f'));
    expect(e.issues[0]?.path).toBe('pairs[0].dnsRecords[0].followElasticIp');
  });

  it('refuses a probe timeout not shorter than the interval', () => {
    const e = rejects((raw) => Object.assign(pair0(raw).probe, { intervalSeconds: 5, timeoutSeconds: 5 }));
    expect(e.issues[0]?.path).toBe('pairs[0].probe.timeoutSeconds');
  });

  it('refuses the same instance for both firewalls and bad ids', () => {
    const e = rejects((raw) => {
      pair0(raw).firewalls.secondary.instanceId = pair0(raw).firewalls.primary.instanceId;
      pair0(raw).routes[0].routeTableId = 'rt-123';
    });
    const paths = e.issues.map((i) => i.path);
    expect(paths).toContain('pairs[0].routes[0].routeTableId');
  });

  it('reports every problem at once, not just the first', () => {
    const e = rejects((raw) => {
      pair0(raw).routes[0].targets.primary = 'eipalloc-0e000000000000001';
      pair0(raw).elasticIps[1].allocationId = 'eipalloc-0e000000000000001';
    });
    expect(e.issues.length).toBeGreaterThanOrEqual(2);
  });

  it('names the YAML problem and the file', () => {
    expect(() => parseConfig('version: 1\npairs: [\n', 'broken.yaml')).toThrow(/broken\.yaml.*not valid YAML/);
  });

  it('reports a missing file without a stack of YAML errors', async () => {
    await expect(loadConfigFile('/nonexistent/pan-failover.yaml')).rejects.toThrow(/cannot read the file \(ENOENT\)/);
  });
});

describe('configuration packaged for the functions', () => {
  it('the JSON written from the YAML loads back identical through the Lambda loader', async () => {
    const yaml = await loadConfigFile('examples/hq-egress.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'pf-'));
    const file = join(dir, 'pan-failover.json');
    await writeFile(file, JSON.stringify(yaml));
    expect(await loadJsonConfigFile(file)).toEqual(yaml);
    await writeFile(file, '{"version": 1, "pairs": [}');
    await expect(loadJsonConfigFile(file)).rejects.toThrow(/not valid JSON/);
  });
});

describe('configuration: across pairs and timing budgets', () => {
  const twoPairs = (mutate: (second: Record<string, unknown>) => void) => {
    const raw = exampleRaw();
    const second = JSON.parse(
      JSON.stringify(raw.pairs[0])
        .replaceAll('hq-egress', 'branch-egress')
        .replaceAll('i-0a1b2c3d4e5f6000', 'i-0a1b2c3d4e5f6100')
        .replaceAll('fw-a', 'fw-c')
        .replaceAll('fw-b', 'fw-d')
        .replaceAll('10.10.0.10', '10.30.0.10')
        .replaceAll('10.20.0.10', '10.40.0.10'),
    ) as Record<string, unknown>;
    mutate(second);
    raw.pairs.push(second);
    return raw;
  };

  it('refuses a route or an EIP managed by two pairs (each would take it back from the other)', () => {
    let e: ConfigInvalidError | undefined;
    try {
      validateConfig(twoPairs(() => undefined));
    } catch (err) {
      e = err as ConfigInvalidError;
    }
    expect(e?.issues.some((i) => i.path === 'pairs[1].routes[0].destination' && i.message.includes('already managed by pair "hq-egress"'))).toBe(true);
    expect(e?.issues.some((i) => i.path === 'pairs[1].elasticIps[0].allocationId' && i.message.includes('already managed by pair "hq-egress"'))).toBe(true);
  });

  it('refuses a flow that cannot fit in the state machine timeout', () => {
    const e = rejects((raw) => {
      Object.assign(pair0(raw), { start: { maxAttempts: 20, retryIntervalSeconds: 300, fallbackInstanceTypes: ['m5.2xlarge'] } });
    });
    expect(e.issues[0]?.path).toBe('pairs[0].readiness.deadlineSeconds');
    expect(e.issues[0]?.message).toMatch(/more than the flow's/);
  });

  it('refuses polling that would overflow the execution history', () => {
    const e = rejects((raw) => Object.assign(pair0(raw).readiness, { pollIntervalSeconds: 2, deadlineSeconds: 3600 }) && Object.assign(pair0(raw), { postVerify: { pollIntervalSeconds: 2, tunnelTimeoutSeconds: 3600, dnsSyncTimeoutSeconds: 3600 } }));
    expect(e.issues.some((i) => i.path === 'pairs[0].readiness.pollIntervalSeconds')).toBe(true);
  });

  it('refuses automatic failback with a cooldown under 600 s (ping-pong)', () => {
    const e = rejects((raw) => Object.assign(pair0(raw), { failback: { mode: 'auto', holdSeconds: 600 }, probe: { ...pair0(raw).probe, cooldownSeconds: 0 } }));
    expect(e.issues[0]?.path).toBe('pairs[0].probe.cooldownSeconds');
  });
});
