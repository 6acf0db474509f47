import { createSnsClient } from '../adapters/aws/clients.js';
import { createLogOnlyNotifier, createNotifier } from '../adapters/aws/sns.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { ClientCapture } from '../observability/tracing.js';
import type { Notifier } from '../ports/messaging.js';
import type { RenderOptions } from '../notify/render.js';

/** SNS when a topic is configured; otherwise (explicitly) log-only. `capture`: the flow functions trace the SNS client (./flow-deps.ts). */
export function notifierFrom(topicArn: string, telemetry: Telemetry, render: RenderOptions = {}, capture: ClientCapture = (client) => client): Notifier {
  return topicArn === '' ? createLogOnlyNotifier(telemetry.log) : createNotifier({ client: capture(createSnsClient()), topicArn, ...render });
}
