import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FirewallApiError, FirewallAuthError, FirewallMalformedResponseError } from '#shared/errors.js';
import { autoCommitState } from '#shared/ports/firewall.js';
import {
  buildResponse,
  joinTunnels,
  parseChassisReady,
  parseConfigShow,
  parseIkeSa,
  parseIpsecSa,
  parseJobs,
  parseSystemInfo,
  parseUptime,
  parseVpnFlow,
} from '#shared/adapters/panos/index.js';

/** Walks a ConfigNode by keys and list indexes; `undefined` when a step is missing. */
function dig(node: unknown, ...path: (string | number)[]): unknown {
  let v: unknown = node;
  for (const step of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[step];
  }
  return v;
}

const fixture = (name: string) => readFileSync(new URL(`../fixtures/panos/${name}`, import.meta.url), 'utf8');

describe('show system info (real captures)', () => {
  it('reads an unlicensed PA-VM 8.1.3 on KVM', () => {
    expect(parseSystemInfo(fixture('show-system-info-pavm-kvm-8.1.3.xml'))).toEqual({
      ipAddress: '192.168.122.20',
      hostname: 'PA-VM',
      model: 'PA-VM',
      serial: 'unknown',
      swVersion: '8.1.3',
      uptime: '0 days, 0:19:41',
      uptimeSeconds: 19 * 60 + 41,
      vmLicense: 'none',
      operationalMode: 'normal',
      appVersion: '769-4439',
      threatVersion: '0',
      advancedRouting: undefined,
    });
  });

  it('reads a PA-VM 7.2.3 (no vm-mode, newline inside <time>)', () => {
    const info = parseSystemInfo(fixture('show-system-info-pavm-7.2.3-unlicensed.xml'));
    expect(info.swVersion).toBe('7.2.3');
    expect(info.uptimeSeconds).toBe(3 * 3600 + 46 * 60 + 33);
    expect(info.vmLicense).toBe('none');
    expect(info.appVersion).toBe('497-2688');
  });

  it('reads a PA-400 on 10.2.11-h12 with advanced-routing off and a single-quoted plugin entry', () => {
    const info = parseSystemInfo(fixture('show-system-info-pa400-10.2.11.xml'));
    expect(info.hostname).toBe('PA-LAB');
    expect(info.swVersion).toBe('10.2.11-h12');
    expect(info.uptimeSeconds).toBe(65 * 86_400 + 8 * 3600 + 44 * 60 + 39);
    expect(info.advancedRouting).toBe(false);
    expect(info.threatVersion).toBe('8971-9419');
    expect(info.vmLicense).toBeUndefined();
  });

  it('tolerates the duplicated <ZTP> of a PA-440 on 10.1.12', () => {
    const info = parseSystemInfo(fixture('show-system-info-pa440-10.1.12.xml'));
    expect(info.model).toBe('PA-440');
    expect(info.serial).toBe('012345678901');
    expect(info.swVersion).toBe('10.1.12');
    expect(info.uptimeSeconds).toBe(115 * 86_400 + 3 * 3600 + 8 * 60 + 17);
    expect(info.operationalMode).toBe('normal');
  });

  it('reads a PA-850 response with an XML declaration', () => {
    const info = parseSystemInfo(fixture('show-system-info-pa850-10.1.12.xml'));
    expect(info.hostname).toBe('Firewall_Name-01');
    expect(info.model).toBe('PA-850');
    expect(info.uptimeSeconds).toBe(98 * 86_400 + 23 * 3600 + 42 * 60 + 29);
  });

  it('reads advanced-routing on (10.2+)', () => {
    const body = buildResponse('<system><sw-version>11.1.2</sw-version><advanced-routing> on </advanced-routing></system>');
    expect(parseSystemInfo(body).advancedRouting).toBe(true);
  });

  it('refuses a success response without result/system', () => {
    expect(() => parseSystemInfo(buildResponse('<info/>'))).toThrow(FirewallMalformedResponseError);
  });
});

describe('parseUptime', () => {
  it.each([
    ['0 days, 0:19:41', 1181],
    ['12 days, 3:04:05', 12 * 86_400 + 3 * 3600 + 4 * 60 + 5],
    ['1 day, 23:59:59', 86_400 + 23 * 3600 + 59 * 60 + 59],
    ['  2 days,  1:00:00 \n', 2 * 86_400 + 3600],
  ])('%j -> %d', (text, seconds) => {
    expect(parseUptime(text)).toBe(seconds);
  });

  it.each(['', 'unknown', '3:04:05', '1 days, 1:60:00', '-1 days, 0:00:00', undefined])('%j -> undefined', (text) => {
    expect(parseUptime(text)).toBeUndefined();
  });
});

describe('show chassis-ready', () => {
  it('is ready on the CDATA yes body and not on no', () => {
    expect(parseChassisReady(fixture('show-chassis-ready-yes.RECONSTRUCTED.xml'))).toBe(true);
    expect(parseChassisReady(fixture('show-chassis-ready-no.RECONSTRUCTED.xml'))).toBe(false);
  });

  it.each([
    ['<![CDATA[ YES \n]]>', true],
    ['\n  <![CDATA[yes]]>\n', true],
    ['yes', true],
    ['<![CDATA[yes, mostly]]>', false],
    ['', false],
    ['<ready>yes</ready>', false],
  ])('result %j -> %s', (result, ready) => {
    expect(parseChassisReady(buildResponse(result))).toBe(ready);
  });

  it('turns the boot-time 403 into an auth error, not "not ready"', () => {
    expect(() => parseChassisReady(fixture('error-403-invalid-credential.xml'))).toThrow(FirewallAuthError);
  });
});

describe('show jobs all', () => {
  it('reads AutoCom FIN/OK (done)', () => {
    const jobs = parseJobs(fixture('show-jobs-all-autocom-fin-ok.xml'));
    expect(jobs).toEqual([
      { id: '3', type: 'WildFire', status: 'FIN', result: 'OK' },
      { id: '1', type: 'AutoCom', status: 'FIN', result: 'OK' },
    ]);
    expect(autoCommitState(jobs)).toBe('done');
  });

  it('reads the pan-os-upgrade-assurance fixture', () => {
    const jobs = parseJobs(fixture('show-jobs-all-fixture.xml'));
    expect(jobs.map((j) => j.id)).toEqual(['4', '1']);
    expect(jobs[1]).toEqual({ id: '1', type: 'AutoCom', status: 'FIN', result: 'OK' });
  });

  it('keeps a Failed-Job entry without id, status and result', () => {
    const jobs = parseJobs(fixture('show-jobs-all-with-failed-job-fixture.xml'));
    expect(jobs).toHaveLength(3);
    expect(jobs[1]).toEqual({ id: undefined, type: 'Failed-Job', status: undefined, result: undefined });
    expect(autoCommitState(jobs)).toBe('done');
  });

  it('reads the real issue-533 excerpt', () => {
    const jobs = parseJobs(fixture('show-jobs-all-failed-job-issue533-excerpt.xml'));
    expect(jobs).toEqual([
      { id: undefined, type: 'Failed-Job', status: undefined, result: undefined },
      { id: '57', type: 'Commit', status: 'FIN', result: 'OK' },
    ]);
  });

  it('reads a single job as a list, and a pending AutoCom', () => {
    const jobs = parseJobs(buildResponse('<job><id>1</id><type>AutoCom</type><status>ACT</status><result>PEND</result></job>'));
    expect(jobs).toEqual([{ id: '1', type: 'AutoCom', status: 'ACT', result: 'PEND' }]);
    expect(autoCommitState(jobs)).toBe('pending');
  });

  it('reads an empty job history as []', () => {
    expect(parseJobs(buildResponse(''))).toEqual([]);
  });
});

describe('show vpn ike-sa / ipsec-sa / flow', () => {
  it('reads both IKE SAs of the PA-VM 8.1.3 capture', () => {
    expect(parseIkeSa(fixture('show-vpn-ike-sa-pavm-8.1.3.xml'))).toEqual([
      { name: 'second_vr', gwid: '1' },
      { name: 'default_vr', gwid: '2' },
    ]);
    expect(parseIkeSa(fixture('show-vpn-ike-sa-ikev1-main-mode.xml'))).toEqual([{ name: 'c1000v', gwid: '1' }]);
    expect(parseIkeSa(fixture('show-vpn-ike-sa-empty.xml'))).toEqual([]);
  });

  it('reads IPsec SAs (padded <remote>, gateway names, old tunnel(gateway) names)', () => {
    expect(parseIpsecSa(fixture('show-vpn-ipsec-sa-pavm-8.1.3.xml'))).toEqual([
      { name: 'IPSEC_second_to_default', tid: '2', gwid: '2', gateway: 'default_vr', remote: '1.1.5.1' },
      { name: 'IPSEC_default_to_second', tid: '1', gwid: '1', gateway: 'second_vr', remote: '1.1.5.2' },
    ]);
    expect(parseIpsecSa(fixture('show-vpn-ipsec-sa-3des-md5.xml'))).toEqual([
      { name: 'c1000v(c1000v)', tid: '1', gwid: '1', gateway: undefined, remote: '192.168.122.30' },
    ]);
    const pa850 = parseIpsecSa(fixture('show-vpn-ipsec-sa-pa850-10.1.12.xml'));
    expect(pa850.map((s) => s.name)).toEqual(['Nom du tunnel 1', 'Nom du tunnel 2', 'Nom du tunnel 3']);
    expect(parseIpsecSa(fixture('show-vpn-ipsec-sa-ike-up-no-child-sa.xml'))).toEqual([]);
    expect(parseIpsecSa(fixture('show-vpn-ipsec-sa-none-configured.xml'))).toEqual([]);
  });

  it('reads the detailed flow form (monitor block off) in its three states', () => {
    const active = parseVpnFlow(fixture('show-vpn-flow-detail-active.xml'));
    expect(active).toEqual([
      { name: 'c1000v', id: '1', gwid: '1', state: 'active', monitor: 'off', peerIp: '192.168.122.30' },
    ]);
    expect(parseVpnFlow(fixture('show-vpn-flow-detail-init-ike-up-ipsec-down.xml'))[0]?.state).toBe('init');
    expect(parseVpnFlow(fixture('show-vpn-flow-detail-inactive.xml'))[0]?.state).toBe('inactive');
  });

  it('reads the summary flow form (<mon>)', () => {
    expect(parseVpnFlow(fixture('show-running-tunnel-flow-all-fixture.xml'))).toEqual([
      { name: 'my-tunnel', id: '1', gwid: '1', state: 'init', monitor: 'off', peerIp: '6.6.6.6' },
    ]);
  });

  it('reads a monitor block that is on and up', () => {
    const [entry] = parseVpnFlow(fixture('show-vpn-flow-entry-with-tunnel-monitor-beats-fixture.xml'));
    expect(entry).toMatchObject({ name: 'tl_SEA05901_004455667788990_PDX10093412', id: '12', monitor: 'up', state: 'unknown' });
  });

  it('reads a monitor block that is on and down', () => {
    const body = buildResponse(
      '<IPSec><entry><name>t1</name><id>3</id><state>active</state><monitor><on>True</on><status>False</status></monitor></entry></IPSec>',
    );
    expect(parseVpnFlow(body)[0]?.monitor).toBe('down');
  });

  it('reads "no tunnels configured" as []', () => {
    expect(parseVpnFlow(fixture('show-vpn-flow-none-configured.xml'))).toEqual([]);
    expect(parseVpnFlow(fixture('show-running-tunnel-flow-all-empty-fixture.xml'))).toEqual([]);
  });
});

describe('joinTunnels', () => {
  it('joins the 7.x/8.0 lab captures: active tunnel with both SAs is up', () => {
    const [t] = joinTunnels(
      parseIkeSa(fixture('show-vpn-ike-sa-ikev1-main-mode.xml')),
      parseIpsecSa(fixture('show-vpn-ipsec-sa-3des-md5.xml')),
      parseVpnFlow(fixture('show-vpn-flow-detail-active.xml')),
    );
    expect(t).toEqual({
      name: 'c1000v',
      tunnel: 'c1000v',
      proxyId: undefined,
      flowState: 'active',
      monitor: 'off',
      ipsecSa: true,
      ikeSa: true,
      peerIp: '192.168.122.30',
      up: true,
    });
  });

  it('IKE up, phase 2 down (init): not up, ikeSa without ipsecSa', () => {
    const [t] = joinTunnels(
      parseIkeSa(fixture('show-vpn-ike-sa-ikev1-main-mode.xml')),
      parseIpsecSa(fixture('show-vpn-ipsec-sa-ike-up-no-child-sa.xml')),
      parseVpnFlow(fixture('show-vpn-flow-detail-init-ike-up-ipsec-down.xml')),
    );
    expect(t).toMatchObject({ flowState: 'init', ikeSa: true, ipsecSa: false, up: false });
  });

  it('nothing established: inactive, no SA', () => {
    const [t] = joinTunnels(
      parseIkeSa(fixture('show-vpn-ike-sa-empty.xml')),
      parseIpsecSa(fixture('show-vpn-ipsec-sa-none-configured.xml')),
      parseVpnFlow(fixture('show-vpn-flow-detail-inactive.xml')),
    );
    expect(t).toMatchObject({ flowState: 'inactive', ikeSa: false, ipsecSa: false, up: false });
  });

  it('joins by tid and gwid across the two PA-VM 8.1.3 tunnels', () => {
    const flow = parseVpnFlow(
      buildResponse(
        '<IPSec><entry><name>IPSEC_default_to_second</name><id>1</id><gwid>1</gwid><state>active</state><mon>off</mon></entry>' +
          '<entry><name>IPSEC_second_to_default</name><id>2</id><gwid>2</gwid><state>active</state><mon>down</mon></entry>' +
          '<entry><name>lonely</name><id>9</id><gwid>9</gwid><state>inactive</state><mon>off</mon></entry></IPSec>',
      ),
    );
    const tunnels = joinTunnels(
      parseIkeSa(fixture('show-vpn-ike-sa-pavm-8.1.3.xml')),
      parseIpsecSa(fixture('show-vpn-ipsec-sa-pavm-8.1.3.xml')),
      flow,
    );
    expect(tunnels.map((t) => [t.name, t.ikeSa, t.ipsecSa, t.up])).toEqual([
      ['IPSEC_default_to_second', true, true, true],
      // Active but the tunnel monitor says down: not up.
      ['IPSEC_second_to_default', true, true, false],
      ['lonely', false, false, false],
    ]);
  });

  it('splits proxy-ID names and matches SAs by name when ids are missing', () => {
    const tunnels = joinTunnels(
      [{ name: 'gw-aws', gwid: undefined }],
      [{ name: 'to-aws:net-a', tid: undefined, gwid: undefined, gateway: 'gw-aws', remote: undefined }],
      [
        { name: 'to-aws:net-a', id: undefined, gwid: undefined, state: 'active', monitor: 'up', peerIp: '203.0.113.9' },
        { name: 'to-aws:net-b', id: undefined, gwid: undefined, state: 'active', monitor: 'off', peerIp: '203.0.113.9' },
      ],
    );
    expect(tunnels).toEqual([
      expect.objectContaining({ name: 'to-aws:net-a', tunnel: 'to-aws', proxyId: 'net-a', ipsecSa: true, ikeSa: true, up: true }),
      expect.objectContaining({ name: 'to-aws:net-b', tunnel: 'to-aws', proxyId: 'net-b', ipsecSa: false, ikeSa: false, up: true }),
    ]);
  });

  it('no tunnels configured -> []', () => {
    expect(joinTunnels([], [], parseVpnFlow(fixture('show-vpn-flow-none-configured.xml')))).toEqual([]);
  });
});

describe('type=config&action=show', () => {
  it('code 7 with an empty result means "not present"', () => {
    expect(parseConfigShow(fixture('config-get-object-not-present-code7.xml'))).toBeUndefined();
  });

  it('"No such node" (status error, no code) means "not present"', () => {
    expect(parseConfigShow(fixture('error-no-such-node.xml'))).toBeUndefined();
  });

  it('an empty result means "not present"', () => {
    expect(parseConfigShow(buildResponse(''))).toBeUndefined();
    expect(parseConfigShow('<response status="success"><result total-count="0" count="0"/></response>')).toBeUndefined();
  });

  it('returns the result subtree with attributes under @_ (code 19)', () => {
    expect(parseConfigShow(fixture('config-get-success-code19.xml'))).toEqual({
      '@_total-count': '1',
      '@_count': '1',
      entry: [{ '@_name': 'Test-One', 'ip-netmask': '1.1.1.1' }],
    });
  });

  it('reads static routes and DHCP clients of a VM-Series bootstrap config', () => {
    const excerpt = fixture('config-excerpt-vmseries-aws-dhcp-client-static-routes.xml').replace(/^<!--.*-->\s*/, '');
    const config = parseConfigShow(buildResponse(excerpt));
    const device = dig(config, 'config', 'devices', 'entry', 0);
    expect(dig(device, '@_name')).toBe('localhost.localdomain');
    const ethernet = dig(device, 'network', 'interface', 'ethernet', 'entry') as unknown[];
    expect(ethernet.map((e) => dig(e, '@_name'))).toEqual(['ethernet1/2', 'ethernet1/1']);
    // <dhcp-client/> is present (DHCP on) even though it is empty.
    expect(dig(ethernet[1], 'layer3', 'dhcp-client')).toBe('');
    const vr = dig(device, 'network', 'virtual-router', 'entry', 0);
    expect(dig(vr, 'interface', 'member')).toEqual([{ '#text': 'ethernet1/1' }, { '#text': 'ethernet1/2' }]);
    expect(dig(vr, 'routing-table', 'ip', 'static-route', 'entry', 0)).toMatchObject({
      '@_name': 'AVX-172.16.0.0-12',
      destination: '172.16.0.0/12',
      nexthop: { 'ip-address': '10.100.128.97' },
    });
  });

  it('other errors are thrown, not read as "not present"', () => {
    expect(() => parseConfigShow(fixture('error-12-multiline-cdata.xml'))).toThrow(FirewallApiError);
    expect(() => parseConfigShow(fixture('error-403-invalid-credential.xml'))).toThrow(FirewallAuthError);
  });
});
