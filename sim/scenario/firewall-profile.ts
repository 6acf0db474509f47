/**
 * The simulated VM-Series' own configuration, derived from the controller's configuration as
 * the engineer would have built the firewall: static addresses on the dataplane interfaces
 * (one per ENI, in device order), a default route to the untrust subnet's VPC router (a private
 * x.x.x.1 address, never an EIP), and the IPsec tunnels the head office dials on the first EIP.
 * Every private IP of an ENI is an address of its interface (the secondary ones carry the extra
 * EIPs); the first EIP's private IP is the IKE gateways' local address and the GlobalProtect
 * portal's, outbound traffic is hidden behind ethernet1/1's first address, and each further
 * EIP's private IP is the translated source of a NAT rule of its own. Zones `untrust`
 * (ethernet1/1), `trust` (ethernet1/2) and `vpn` (the tunnel interfaces), two security rules,
 * and the licences of a VM-300 with subscriptions.
 */
import type { PairConfig, Role } from '#shared/config/schema.js';
import type { FirewallProfileInput } from '#sim/panos/index.js';
import { dataplaneEnis, managementAddress } from './topology-from-config.js';

export const HEAD_OFFICE_PEER = '203.0.113.1';

export function profileFromConfig(pair: PairConfig, role: Role): FirewallProfileInput {
  const enis = dataplaneEnis(pair, role);
  const interfaces = enis.map((e, i) => ({
    name: `ethernet1/${i + 1}`,
    address: `${e.ips[0] ?? '10.0.1.10'}/24`,
    secondaryAddresses: e.ips.slice(1).map((ip) => `${ip}/24`),
  }));
  const ifaceOf = (eni: string) => `ethernet1/${Math.max(0, enis.findIndex((e) => e.id === eni)) + 1}`;
  const [firstEip, ...otherEips] = pair.elasticIps.map((e) => e[role]);
  const gateway = (ip: string | undefined) => `${(ip ?? '10.0.1.10').split('.').slice(0, 3).join('.')}.1`;
  const untrust = enis[0]?.ips[0];
  const trust = enis[1]?.ips[0] ?? untrust;
  const dialled = pair.elasticIps[0]?.publicIp;
  const mgmt = managementAddress(pair, role);
  return {
    hostname: pair.firewalls[role].name,
    management: { ip: mgmt, netmask: '255.255.255.0', defaultGateway: gateway(mgmt), dhcp: true },
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
          localInterface: firstEip ? ifaceOf(firstEip.networkInterfaceId) : undefined,
          localIp: firstEip ? `${firstEip.privateIp}/24` : undefined,
        }))
      : [],
    zones: [
      { name: 'untrust', interfaces: ['ethernet1/1'] },
      ...(enis.length > 1 ? [{ name: 'trust', interfaces: ['ethernet1/2'] }] : []),
      ...(pair.tunnels.length > 0 && dialled ? [{ name: 'vpn', interfaces: pair.tunnels.map((_, i) => `tunnel.${i + 1}`) }] : []),
    ],
    natRules: [
      ...otherEips.map((e, i) => ({
        name: `eip-${i + 2}-outbound`.slice(0, 63),
        from: ['trust'],
        to: ['untrust'],
        translatedSource: [e.privateIp],
      })),
      { name: 'internet-egress', from: ['trust'], to: ['untrust'], sourceInterface: 'ethernet1/1', sourceInterfaceIp: interfaces[0]?.address },
    ],
    securityRules: [
      { name: 'trust-to-internet', from: ['trust'], to: ['untrust'] },
      ...(pair.tunnels.length > 0 && dialled ? [{ name: 'branches', from: ['vpn', 'trust'], to: ['trust', 'vpn'] }] : []),
    ],
    globalProtect: firstEip ? [{ kind: 'portal' as const, name: 'gp-portal', interface: ifaceOf(firstEip.networkInterfaceId), ip: `${firstEip.privateIp}/24` }] : [],
  };
}
