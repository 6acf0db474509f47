/** The health probe's own self-test parts: its state machine and the topic (flow-firewall has neither). */
import { createSfnClient, createSnsClient } from '../adapters/aws/clients.js';
import { createFlowStarter } from '../adapters/aws/sfn.js';
import { createTopicReader } from '../adapters/aws/sns.js';
import type { ProbeSelftestParts } from './selftest-vpc.js';

export const probeSelftestParts: ProbeSelftestParts = (stateMachineArn, aws) => ({
  ...(stateMachineArn ? { flows: createFlowStarter({ client: createSfnClient(aws), stateMachineArn }), stateMachineArn } : {}),
  topic: createTopicReader(createSnsClient(aws)),
});
