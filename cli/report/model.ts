/**
 * What a failover report shows, independent of where it came from: a rehearsal on the
 * simulator, a real flow (its Step Functions execution and the state table), or a standby drill.
 * Every source fills the same model; the renderer (render.tsx) knows nothing else.
 *
 * All times are epoch milliseconds. Object keys name a managed object stably across snapshots:
 * `route:<rtb>:<destination>`, `eip:<allocation>`, `dns:<name>:<type>`.
 */
import type { Role } from '#shared/config/schema.js';

export type ReportKind = 'rehearsal' | 'flow' | 'drill';

/** Where a managed object points: a firewall's role, or why it points at neither. */
export type SideName = Role | 'elsewhere' | 'missing' | 'unassociated' | 'unknown';

export interface TopologyEni {
  readonly id: string;
  /** Private addresses the configuration names on it (EIP targets). */
  readonly addresses: readonly string[];
  /** What the configuration uses it for: `route target`, `EIP`. */
  readonly uses: readonly string[];
}

export interface TopologyFirewall {
  readonly role: Role;
  readonly name: string;
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly managementHost: string;
  readonly enis: readonly TopologyEni[];
}

export interface TopologyRoute {
  readonly key: string;
  readonly destination: string;
  readonly targets: Readonly<Record<Role, string>>;
}

export interface TopologyRouteTable {
  readonly id: string;
  readonly routes: readonly TopologyRoute[];
}

export interface TopologyEip {
  readonly key: string;
  readonly allocationId: string;
  readonly publicIp: string | undefined;
  readonly purpose: string | undefined;
  readonly sides: Readonly<Record<Role, { readonly eni: string; readonly privateIp: string }>>;
}

export interface TopologyDns {
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly hostedZoneId: string;
  readonly followsEip: string | undefined;
  readonly values: Readonly<Record<Role, readonly string[]>> | undefined;
}

export interface Topology {
  readonly pair: string;
  readonly description: string | undefined;
  readonly standbyMode: string;
  readonly firewalls: readonly [TopologyFirewall, TopologyFirewall];
  readonly routeTables: readonly TopologyRouteTable[];
  readonly eips: readonly TopologyEip[];
  readonly dns: readonly TopologyDns[];
}

export interface ObjectState {
  readonly side: SideName;
  /** What it points at, as AWS says (ENI, ENI/private IP, record values). */
  readonly detail?: string;
}

export interface Snapshot {
  /** When it was taken (or what it describes). */
  readonly at: number | undefined;
  /** How it is known: observed in AWS, or derived from the flow's record of what it moved. */
  readonly source: string;
  readonly objects: Readonly<Record<string, ObjectState>>;
}

export interface Move {
  readonly key: string;
  readonly kind: 'route' | 'eip' | 'dns';
  /** The object, as people name it. */
  readonly object: string;
  readonly from: SideName;
  readonly to: SideName;
  /** What the call changed (ENIs, addresses, record values). */
  readonly detail: string;
  /** Which step made it: `cutover`, `cutover (an attempt that did not return)`, `abort`, `dns`. */
  readonly by: string;
}

export interface PhaseBar {
  /** A flow phase (`validate` ... `finish`), `detect`, a drill step, or a boot sub-phase. */
  readonly id: string;
  readonly label: string;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  readonly outcome: string | undefined;
  /** PAN-OS boot sub-phases, as the readiness checks saw them. */
  readonly sub?: readonly PhaseBar[];
}

export interface ProbeRound {
  readonly at: number;
  readonly primary: string;
  readonly secondary: string;
  readonly action: string;
  readonly reason: string;
  /** What failed, in words (API, EC2, tunnels), where the source says. */
  readonly failed?: string;
}

export interface ReportModel {
  readonly kind: ReportKind;
  readonly title: string;
  readonly generatedAt: number;
  /** IANA time zone shown next to UTC (the configuration's `report.timeZone`). */
  readonly timeZone: string | undefined;
  readonly pair: string;
  readonly execution:
    | {
        readonly name: string;
        readonly arn: string | undefined;
        readonly status: string;
        readonly startedAt: number;
        readonly endedAt: number | undefined;
      }
    | undefined;
  /** `failover`, `failback`, `reconcile`, `drill`. */
  readonly action: string;
  readonly outcome: string;
  readonly summary: string;
  readonly from: Role | undefined;
  readonly target: Role | undefined;
  readonly topology: Topology;
  readonly before: Snapshot;
  readonly after: Snapshot;
  readonly moves: readonly Move[];
  readonly phases: readonly PhaseBar[];
  readonly trigger: {
    readonly source: string;
    readonly reason: string;
    readonly requestedBy: string | undefined;
    readonly incidentAt: number | undefined;
    /** The probe rounds that led to the decision, where they are known. */
    readonly rounds: readonly ProbeRound[];
    readonly roundsNote: string | undefined;
  };
  readonly errors: readonly { readonly phase: string | undefined; readonly name: string; readonly message: string }[];
  readonly notes: readonly string[];
  readonly verdict: {
    readonly status: 'consistent' | 'inconsistent' | 'unknown';
    readonly detail: string;
    readonly problems: readonly string[];
  };
  /** Key figures (detection time, boot time, ...). */
  readonly facts: readonly { readonly label: string; readonly value: string }[];
}
