/**
 * PAN-OS XML API adapter behind `shared/ports/firewall.ts`.
 *
 * - `createFirewallApiFactory(deps)`: the production entry (key + trust from configuration).
 * - `PanosClient`: the client itself, constructible with a resolved key and trust material.
 * - `parse*`: pure parsers of response bodies (also used by tests and the simulator).
 * - `buildResponse` / `buildErrorResponse` / `toXml`: a small builder for simulated responses.
 */
export { createFirewallApiFactory, describeApiKeyRef, resolveApiKey, type FirewallApiFactoryDeps } from './factory.js';
export { PanosClient, type PanosClientOptions } from './client.js';
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  MAX_CONNECT_TIMEOUT_MS,
  classifyNetworkError,
  formatTarget,
  normalizeFingerprint,
  postForm,
  type PostFormRequest,
  type TlsTrust,
} from './transport.js';
export {
  PANOS_COMMANDS,
  RESPONSE_CAPS,
  chassisReadyFromResult,
  configFromResult,
  flowFromResult,
  ikeSaFromResult,
  ipsecSaFromResult,
  isObjectNotPresent,
  jobsFromResult,
  joinTunnels,
  licensesFromResult,
  parseChassisReady,
  parseConfigShow,
  parseIkeSa,
  parseIpsecSa,
  parseJobs,
  parseLicenseDate,
  parseLicenses,
  parseSystemInfo,
  parseUptime,
  parseVpnFlow,
  systemInfoFromResult,
  toConfigNode,
  type FlowEntry,
  type IkeSaEntry,
  type IpsecSaEntry,
} from './parsers.js';
export {
  ATTRIBUTE_PREFIX,
  FORCED_ARRAYS,
  TEXT_KEY,
  buildErrorResponse,
  buildResponse,
  cdata,
  child,
  childText,
  decodeEntities,
  escapeXml,
  interpretResponse,
  isXmlNode,
  list,
  MAX_TAG_CHARS,
  parseXmlDocument,
  textOf,
  toXml,
  type BuildOptions,
  type HttpAnswer,
  type PanosSuccess,
  type ResponseContext,
  type XmlNode,
  type XmlValue,
} from './xml.js';
