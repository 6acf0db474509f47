/** The probe's dependencies on a running simulator, through the world's direct ports, as the health-probe's role (IAM enforced). */
import { createFirewallApiFactory } from '#shared/adapters/panos/index.js';
import type { Telemetry } from '#shared/observability/telemetry.js';
import type { ProbeDeps, ProbeMemory } from '#shared/usecases/probe.js';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import type { SimSystem } from '#sim/system.js';
import { createDirectPorts } from '#sim/world/ports.js';

/** The bench could not set up what it measures (a bug of the bench or of the simulator, not a missed target). */
export class BenchSetupError extends Error {
  override readonly name = 'BenchSetupError';
}

export function probeDepsOn(system: SimSystem, telemetry: Telemetry): ProbeDeps {
  const ports = createDirectPorts<ProbeMemory>(system.world, {
    tableName: SIM_TABLE,
    topicArn: system.topicArn,
    stateMachineArn: system.stateMachineArn,
    principal: system.principals.healthProbe,
  });
  return {
    config: system.config,
    ec2: ports.ec2,
    firewalls: createFirewallApiFactory({ secrets: ports.secrets }),
    store: ports.store,
    flows: ports.flow,
    notifier: ports.notifier,
    clock: system.clock,
    telemetry,
  };
}
