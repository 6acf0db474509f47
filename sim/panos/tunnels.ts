/**
 * IPsec state of the configured tunnels. The head office dials an Elastic IP, so a tunnel can
 * only come up on the firewall that holds that EIP, once the firewall is ready, and only after
 * IKE and IPsec have negotiated. ike-sa, ipsec-sa and flow are rendered from this one model, so
 * names, gwid and tid agree across the three commands.
 */
import type { HeldAddress } from '#sim/world/firewall-host.js';
import type { SimTunnel } from './profile.js';

export type FlowState = 'active' | 'init' | 'inactive';
export type MonitorState = 'off' | 'up' | 'down';

/** One `show vpn flow` entry: a tunnel, or one proxy-ID of it (`tunnel:proxy-id`). */
export interface FlowEntryState {
  readonly name: string;
  readonly tunnel: string;
  readonly proxyId: string | undefined;
  /** Tunnel id (`id` in flow, `tid` in ipsec-sa). */
  readonly tid: number;
  readonly gwid: number;
  readonly gateway: string;
  readonly state: FlowState;
  readonly monitor: MonitorState;
  readonly peerIp: string;
  readonly localIp: string;
  readonly innerIf: string;
  readonly outerIf: string;
  /** When the phase-2 SA was established (`state` active). */
  readonly ipsecSince: number | undefined;
}

export interface GatewayState {
  readonly name: string;
  readonly gwid: number;
  readonly peerIp: string;
  /** When the phase-1 SA was established; `undefined` while there is none. */
  readonly ikeSince: number | undefined;
}

export interface TunnelInputs {
  readonly tunnels: readonly SimTunnel[];
  readonly held: readonly HeldAddress[];
  /** When the firewall became ready; `undefined` (or later than `now`) when it is not. */
  readonly readyAt: number | undefined;
  readonly now: number;
  readonly negotiationMs: number;
  readonly peerDown: readonly string[];
  /** Outer interface (name and private address) the tunnels leave from. */
  readonly outerIf: string;
  readonly localIp: string;
}

export interface TunnelSnapshot {
  readonly gateways: readonly GatewayState[];
  readonly entries: readonly FlowEntryState[];
  /** Configured tunnel entries (each proxy-ID counts), the `ntun` of ipsec-sa. */
  readonly configured: number;
}

interface Negotiation {
  readonly state: FlowState;
  readonly ikeSince: number | undefined;
  readonly ipsecSince: number | undefined;
}

function negotiation(t: SimTunnel, input: TunnelInputs): Negotiation {
  const down: Negotiation = { state: 'inactive', ikeSince: undefined, ipsecSince: undefined };
  const { readyAt, now } = input;
  if (readyAt === undefined || now < readyAt) return down;
  if (input.peerDown.includes(t.name)) return down;
  const held = input.held.find((h) => h.publicIp === t.dialsPublicIp);
  if (!held) return down;
  // Negotiation starts when both hold: the firewall is ready and the peer can reach it.
  const start = Math.max(held.since, readyAt);
  if (now < start + input.negotiationMs) return { state: 'init', ikeSince: start, ipsecSince: undefined };
  return { state: 'active', ikeSince: start, ipsecSince: start + input.negotiationMs };
}

export function tunnelSnapshot(input: TunnelInputs): TunnelSnapshot {
  const gwids = new Map<string, number>();
  const gateways = new Map<string, { name: string; gwid: number; peerIp: string; ikeSince: number | undefined }>();
  const entries: FlowEntryState[] = [];
  input.tunnels.forEach((t, index) => {
    const gwid = gwids.get(t.gateway) ?? gwids.size + 1;
    gwids.set(t.gateway, gwid);
    const n = negotiation(t, input);
    const gw = gateways.get(t.gateway) ?? { name: t.gateway, gwid, peerIp: t.peerIp, ikeSince: undefined };
    if (n.ikeSince !== undefined && (gw.ikeSince === undefined || n.ikeSince < gw.ikeSince)) gw.ikeSince = n.ikeSince;
    gateways.set(t.gateway, gw);
    const names = t.proxyIds.length === 0 ? [undefined] : t.proxyIds;
    for (const proxyId of names) {
      entries.push({
        name: proxyId === undefined ? t.name : `${t.name}:${proxyId}`,
        tunnel: t.name,
        proxyId,
        tid: entries.length + 1,
        gwid,
        gateway: t.gateway,
        state: n.state,
        monitor: !t.monitor ? 'off' : n.state === 'active' ? 'up' : 'down',
        peerIp: t.peerIp,
        localIp: input.localIp,
        innerIf: `tunnel.${index + 1}`,
        outerIf: input.outerIf,
        ipsecSince: n.ipsecSince,
      });
    }
  });
  return { gateways: [...gateways.values()], entries, configured: entries.length };
}
