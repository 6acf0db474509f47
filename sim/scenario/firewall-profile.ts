/**
 * The simulated VM-Series' own configuration, derived from the controller's configuration as
 * the engineer would have built the firewall: static addresses on the dataplane interfaces
 * (one per ENI, in device order), a default route to the untrust subnet's VPC router (a private
 * x.x.x.1 address, never an EIP), and the IPsec tunnels the head office dials on the first EIP.
 */
import type { PairConfig, Role } from '#shared/config/schema.js';
import type { FirewallProfileInput } from '#sim/panos/index.js';
import { dataplaneEnis } from './topology-from-config.js';

export const HEAD_OFFICE_PEER = '203.0.113.1';

export function profileFromConfig(pair: PairConfig, role: Role): FirewallProfileInput {
  const enis = dataplaneEnis(pair, role);
  const interfaces = enis.map((e, i) => ({ name: `ethernet1/${i + 1}`, address: `${e.ips[0] ?? '10.0.1.10'}/24` }));
  const gateway = (ip: string | undefined) => `${(ip ?? '10.0.1.10').split('.').slice(0, 3).join('.')}.1`;
  const untrust = enis[0]?.ips[0];
  const trust = enis[1]?.ips[0] ?? untrust;
  const dialled = pair.elasticIps[0]?.publicIp;
  return {
    hostname: pair.firewalls[role].name,
    interfaces,
    staticRoutes: [
      { name: 'default', destination: '0.0.0.0/0', nexthop: gateway(untrust), interface: 'ethernet1/1' },
      ...(enis.length > 1 ? [{ name: 'vpc', destination: '10.0.0.0/8', nexthop: gateway(trust), interface: 'ethernet1/2' }] : []),
    ],
    tunnels: dialled
      ? pair.tunnels.map((t) => ({
          name: t.name,
          gateway: `gw-${t.name}`.slice(0, 63),
          peerIp: HEAD_OFFICE_PEER,
          dialsPublicIp: dialled,
          proxyIds: t.proxyIds,
        }))
      : [],
  };
}
