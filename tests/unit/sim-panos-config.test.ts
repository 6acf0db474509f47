import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseApiRequest, parseOpCommand, parseXpath, resolveProfile, runningConfig, selectNodes, serialize } from '#sim/panos/index.js';
import type { XmlElement } from '#sim/panos/index.js';
import { InputInvalidError } from '#shared/errors.js';

const DEV = "/config/devices/entry[@name='localhost.localdomain']";
const ETH = `${DEV}/network/interface/ethernet`;
const ROUTES = `${DEV}/network/virtual-router/entry[@name='default']/routing-table/ip/static-route`;

function select(config: XmlElement, xpath: string): XmlElement[] {
  const parsed = parseXpath(xpath);
  if (!parsed.ok) throw new Error(parsed.reason);
  return selectNodes(config, parsed.steps);
}

const text = (node: XmlElement | undefined, ...path: string[]): string | undefined => {
  let current = node;
  for (const name of path) current = current?.children.find((c): c is XmlElement => c.kind === 'element' && c.name === name);
  const t = current?.children.find((c) => c.kind === 'text');
  return t?.kind === 'text' ? t.value : undefined;
};

/** Every element path (names only, entries collapsed) below `node`. */
function paths(node: unknown, prefix = ''): Set<string> {
  const out = new Set<string>();
  if (typeof node !== 'object' || node === null) return out;
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@_') || k === '#text') continue;
    const p = `${prefix}/${k}`;
    out.add(p);
    for (const item of Array.isArray(v) ? v : [v]) for (const s of paths(item, p)) out.add(s);
  }
  return out;
}

describe('xpath subset', () => {
  it('parses absolute paths with [@attr=value] predicates, either quote, names holding slashes', () => {
    const parsed = parseXpath(`${ETH}/entry[@name="ethernet1/1"]/layer3`);
    expect(parsed.ok && parsed.steps.map((s) => [s.name, s.predicate?.value])).toEqual([
      ['config', undefined],
      ['devices', undefined],
      ['entry', 'localhost.localdomain'],
      ['network', undefined],
      ['interface', undefined],
      ['ethernet', undefined],
      ['entry', 'ethernet1/1'],
      ['layer3', undefined],
    ]);
  });

  it('refuses what it does not implement instead of guessing', () => {
    for (const bad of ['config/devices', '/config//devices', "/config/devices/entry[1]", "/config/devices/entry[@name='x'", '/config/devices/', '/config/*']) {
      expect(parseXpath(bad).ok, bad).toBe(false);
    }
  });
});

describe('running configuration from the profile', () => {
  const config = runningConfig(resolveProfile('fw-a'));

  it('serves static layer3 addresses on ethernet1/1 and ethernet1/2 by default', () => {
    const entries = select(config, `${ETH}/entry`);
    expect(entries.map((e) => e.attrs['name'])).toEqual(['ethernet1/1', 'ethernet1/2']);
    const ip = select(config, `${ETH}/entry[@name='ethernet1/1']/layer3/ip/entry`);
    expect(ip.map((e) => e.attrs['name'])).toEqual(['10.0.1.10/24']);
    expect(select(config, `${ETH}/entry[@name='ethernet1/1']/layer3/dhcp-client`)).toEqual([]);
  });

  it('serves layer3/dhcp-client (and no static address) where the profile says DHCP', () => {
    const dhcp = runningConfig(
      resolveProfile('fw-a', { interfaces: [{ name: 'ethernet1/1', address: '10.0.1.10/24', dhcp: true }] }),
    );
    const client = select(dhcp, `${ETH}/entry[@name='ethernet1/1']/layer3/dhcp-client`);
    expect(client).toHaveLength(1);
    expect(text(client[0], 'create-default-route')).toBe('no');
    expect(select(dhcp, `${ETH}/entry[@name='ethernet1/1']/layer3/ip`)).toEqual([]);
  });

  it('serves static routes with destination and nexthop/ip-address under the virtual router', () => {
    const routes = select(config, `${ROUTES}/entry`);
    expect(routes.map((r) => [r.attrs['name'], text(r, 'destination'), text(r, 'nexthop', 'ip-address')])).toEqual([
      ['default', '0.0.0.0/0', '10.0.1.1'],
      ['vpc', '10.0.0.0/16', '10.0.2.1'],
    ]);
  });

  it('moves them under the logical router with advanced routing', () => {
    const adv = runningConfig(resolveProfile('fw-a', { advancedRouting: true }));
    expect(select(adv, `${ROUTES}/entry`)).toEqual([]);
    const lr = select(
      adv,
      `${DEV}/network/logical-router/entry[@name='default']/vrf/entry[@name='default']/routing-table/ip/static-route/entry`,
    );
    expect(lr.map((r) => text(r, 'destination'))).toEqual(['0.0.0.0/0', '10.0.0.0/16']);
  });

  it('answers deviceconfig/system for /config/devices/entry without a predicate', () => {
    const system = select(config, '/config/devices/entry/deviceconfig/system');
    expect(system).toHaveLength(1);
    expect(text(system[0], 'hostname')).toBe('fw-a');
    expect(select(config, '/config/devices/entry/deviceconfig/system/type/dhcp-client')).toHaveLength(1);
  });

  it('selects nothing for a missing node, a wrong predicate or a wrong root', () => {
    expect(select(config, `${ETH}/entry[@name='ethernet1/9']`)).toEqual([]);
    expect(select(config, "/config/devices/entry[@name='other']/network")).toEqual([]);
    expect(select(config, '/response/devices')).toEqual([]);
  });

  it('contains every element path of the real AWS bootstrap sample it models', () => {
    const parser = new XMLParser({ ignoreAttributes: false, processEntities: false });
    const sample = parser.parse(
      readFileSync('tests/fixtures/panos/config-excerpt-vmseries-aws-dhcp-client-static-routes.xml', 'utf8'),
    ) as unknown;
    const dhcpProfile = resolveProfile('fw-a', {
      interfaces: [
        { name: 'ethernet1/1', address: '10.0.1.10/24', dhcp: true },
        { name: 'ethernet1/2', address: '10.0.2.10/24', dhcp: true },
      ],
    });
    const ours = paths(parser.parse(serialize(runningConfig(dhcpProfile))));
    const wanted = [...paths(sample)].filter(
      (p) => /(dhcp-client|static-route|\/system\/)/.test(p) && !/(path-monitor|sdwan|upstream-nat|dampening)/.test(p),
    );
    expect(wanted.length).toBeGreaterThan(12);
    expect(wanted.filter((p) => !ours.has(p))).toEqual([]);
  });

  it('refuses an invalid profile naming the field', () => {
    expect(() => resolveProfile('fw-a', { tunnels: [{ name: 't', gateway: 'g', peerIp: 'x', dialsPublicIp: '203.0.113.1' }] })).toThrow(
      InputInvalidError,
    );
    expect(() => resolveProfile('fw-a', { timings: { refuseMs: -1 } })).toThrow(/timings\.refuseMs/);
    expect(() => resolveProfile('fw-a', { colour: 'red' } as never)).toThrow(InputInvalidError);
  });
});

describe('operational command parsing', () => {
  it('recognises the commands the controller sends, with or without self-closing tags and whitespace', () => {
    expect(parseOpCommand('<show><system><info></info></system></show>')).toEqual({ kind: 'op', op: 'show system info', args: {} });
    expect(parseOpCommand('<show><chassis-ready/></show>')).toMatchObject({ op: 'show chassis-ready' });
    expect(parseOpCommand(' <show>\n <jobs><all/></jobs>\n</show> ')).toMatchObject({ op: 'show jobs all' });
    expect(parseOpCommand('<show><vpn><ike-sa></ike-sa></vpn></show>')).toMatchObject({ op: 'show vpn ike-sa' });
    expect(parseOpCommand('<show><vpn><ipsec-sa/></vpn></show>')).toMatchObject({ op: 'show vpn ipsec-sa' });
    expect(parseOpCommand('<show><vpn><flow></flow></vpn></show>')).toEqual({ kind: 'op', op: 'show vpn flow', args: {} });
    expect(parseOpCommand('<show><vpn><flow><name> to-hq </name></flow></vpn></show>')).toEqual({
      kind: 'op',
      op: 'show vpn flow',
      args: { name: 'to-hq' },
    });
  });

  it('answers code 17 naming the unexpected element, 18 for XML that does not parse', () => {
    expect(parseOpCommand('<show><foo/></show>')).toEqual({ kind: 'op-error', code: 17, message: ' show -> foo is unexpected' });
    expect(parseOpCommand('<request><restart><system/></restart></request>')).toMatchObject({ code: 17 });
    expect(parseOpCommand('<show><system/></show>')).toMatchObject({ code: 17, message: ' show -> system is incomplete' });
    expect(parseOpCommand('<show><jobs><all/><id>1</id></jobs></show>')).toMatchObject({ code: 17 });
    expect(parseOpCommand('<show><system><info><x/></info></system></show>')).toMatchObject({ code: 17 });
    expect(parseOpCommand('<show><system><info>')).toMatchObject({ code: 18 });
    expect(parseOpCommand('show system info')).toMatchObject({ code: 18 });
  });

  it('maps request parameters to commands and refuses bad ones as HTTP 400', () => {
    const p = (q: Record<string, string>) => parseApiRequest(new URLSearchParams(q));
    expect(p({ type: 'version' })).toEqual({ kind: 'version' });
    expect(p({ type: 'config', action: 'show', xpath: '/config' })).toEqual({ kind: 'config', action: 'show', xpath: '/config' });
    expect(p({ type: 'config', action: 'get', xpath: '/config' })).toMatchObject({ kind: 'config', action: 'get' });
    expect(p({ type: 'config', action: 'set', xpath: '/config' })).toMatchObject({ kind: 'bad-request' });
    expect(p({ type: 'config', action: 'show' })).toMatchObject({ kind: 'bad-request' });
    expect(p({ type: 'op' })).toMatchObject({ kind: 'bad-request' });
    expect(p({ type: 'commit' })).toMatchObject({ kind: 'bad-request' });
    expect(p({})).toMatchObject({ kind: 'bad-request' });
  });
});
