/** The PAN-OS half of the local simulator: simulated VM-Series firewalls behind an HTTPS XML API. */
export { startPanosSimulator, MANAGEMENT_HOST, MAX_REQUEST_BODY_BYTES } from './server.js';
export type { PanosSimulatorOptions, SimFirewall, SimFirewallStatus } from './server.js';
export { MALFORMED_KINDS, NO_FAULTS, applyFaultPatch, flappingDown } from './faults.js';
export type { FaultPatch, FirewallFaults, MalformedKind } from './faults.js';
export { MISSING_CONFIG_NODE_STYLES, resolveProfile } from './profile.js';
export type {
  BootTimings,
  FirewallProfile,
  FirewallProfileInput,
  MissingConfigNodeStyle,
  SimInterface,
  SimStaticRoute,
  SimTunnel,
} from './profile.js';
export {
  PHASES,
  bootTimeline,
  currentTimeline,
  formatCtime,
  formatUptime,
  isReady,
  phaseAt,
} from './lifecycle.js';
export type { BootModifiers, BootTimeline, Phase } from './lifecycle.js';
export { jobsAt } from './jobs.js';
export type { JobOptions, SimJob } from './jobs.js';
export { tunnelSnapshot } from './tunnels.js';
export type { FlowEntryState, FlowState, GatewayState, MonitorState, TunnelInputs, TunnelSnapshot } from './tunnels.js';
export { OP_COMMANDS, parseApiRequest, parseOpCommand, requestLabel } from './commands.js';
export type { ApiRequest, OpCommand } from './commands.js';
export { DEVICE_ENTRY, runningConfig } from './config.js';
export { parseXpath, selectNodes } from './xpath.js';
export type { XpathParse, XpathStep } from './xpath.js';
export { HUGE_BODY_BYTES, malformedAnswer } from './malformed.js';
export type { HttpAnswer } from './malformed.js';
export { INVALID_CREDENTIAL_BODY, NOT_PRESENT_XML, NO_SUCH_NODE_XML } from './responses.js';
export { fingerprintOf, generateCertificate } from './certificate.js';
export type { SimCertificate } from './certificate.js';
export { cdata, el, entry, leaf, serialize } from './xml.js';
export type { XmlElement, XmlNode, XmlText } from './xml.js';
export { FakeFirewallHost, ManualClock, requestSim, sha256Fingerprint } from './testing.js';
export type { SimOutcome, SimRequestOptions } from './testing.js';
