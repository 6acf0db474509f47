/**
 * Self-signed certificates like the one a fresh PAN-OS serves: generated at start (CN = the
 * firewall's name), identified by the SHA-256 fingerprint the controller pins.
 */
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface SimCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** SHA-256 of the DER certificate, `AB:CD:...` upper case. */
  readonly fingerprint256: string;
}

export async function generateCertificate(commonName: string): Promise<SimCertificate> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: commonName }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private, fingerprint256: fingerprintOf(pems.cert) };
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.toUpperCase();
}
