/**
 * What a simulated PAN-OS firewall needs to know about the simulated AWS world it lives in.
 * The world (sim/world) implements it per firewall instance; the PAN-OS simulator
 * (sim/panos) reads it on every request, so the firewall's life follows its EC2 instance:
 * stopped = no answer, started = boot sequence from `runningSince`, tunnels up only where the
 * EIP the peer dials is associated.
 */
import type { InstanceState } from '#shared/ports/ec2.js';

export interface HeldAddress {
  /** Public address of an Elastic IP associated with one of this instance's ENIs. */
  readonly publicIp: string;
  /** Simulated epoch ms since it has been associated here. */
  readonly since: number;
}

export interface FirewallHostView {
  readonly instanceId: string;
  /** The EC2 instance's state now. */
  instanceState(): InstanceState;
  /** Simulated epoch ms when the instance last entered `running`; `undefined` unless running. */
  runningSince(): number | undefined;
  /** Elastic IPs currently associated with this instance's ENIs. */
  heldAddresses(): readonly HeldAddress[];
}
