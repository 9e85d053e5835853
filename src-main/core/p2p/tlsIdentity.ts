// The node's identity on the P2P link (DESIGN §5): a self-signed X.509 certificate whose key IS
// the node's ed25519 identity key. TLS 1.3 makes each side prove it holds the private key of its
// certificate (CertificateVerify), so the certificate's public key, read after the handshake, is
// the peer's proven identity. No certificate chain is trusted or needed: the identity is the key.
//
// The certificate is built with @peculiar/asn1-x509 (RFC 5280 structures) and signed with
// node:crypto's Ed25519 (RFC 8410); no cryptography of our own.

import { createPublicKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, Certificate, Name, RelativeDistinguishedName,
  SubjectPublicKeyInfo, TBSCertificate, Validity, Version,
} from '@peculiar/asn1-x509';
import { identityOfKey } from '../storage/identityKey.js';

/** RFC 8410: id-Ed25519. */
const ED25519_OID = '1.3.101.112';
/** X.520 commonName. */
const COMMON_NAME_OID = '2.5.4.3';
const CERT_SERIAL_BYTES = 16;
/** Validity is not checked by peers (the key is what counts), but a sane window keeps tools happy. */
const CERT_BACKDATE_MS = 24 * 3600 * 1000;
const CERT_LIFETIME_MS = 20 * 365 * 24 * 3600 * 1000;

export interface TlsIdentity {
  /** Our remote identity (the key's 32 bytes, base64 without padding). */
  identity: string;
  /** PKCS#8 PEM of the identity key, for tls options. */
  key: string;
  /** PEM of the self-signed certificate over that key. */
  cert: string;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function toPem(der: Uint8Array, label: string): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A self-signed X.509 v3 certificate for the ed25519 `privateKey` (made fresh at every start). */
export function createTlsIdentity(privateKey: KeyObject): TlsIdentity {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new Error('a TLS identity needs the ed25519 private identity key');
  const publicKey = createPublicKey(privateKey);
  const identity = identityOfKey(publicKey);
  const algorithm = new AlgorithmIdentifier({ algorithm: ED25519_OID });
  // The name is informative only; nothing trusts it.
  const name = new Name([
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type: COMMON_NAME_OID, value: new AttributeValue({ utf8String: `sd-nearby ${identity}` }) })]),
  ]);
  const serial = randomBytes(CERT_SERIAL_BYTES);
  serial[0] = (serial[0] ?? 0) & 0x7f; // a positive INTEGER (RFC 5280 §4.1.2.2)
  if (serial[0] === 0) serial[0] = 1;
  const now = Date.now();
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serial),
    signature: algorithm,
    issuer: name,
    subject: name,
    validity: new Validity({ notBefore: new Date(now - CERT_BACKDATE_MS), notAfter: new Date(now + CERT_LIFETIME_MS) }),
    subjectPublicKeyInfo: AsnConvert.parse(publicKey.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign(null, tbsDer, privateKey); // Ed25519 signs the message itself (RFC 8410 §6)
  const certificate = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: toArrayBuffer(signature) });
  const der = Buffer.from(AsnConvert.serialize(certificate));
  // Self-check: what we made parses and verifies with our own key.
  if (!new X509Certificate(der).verify(publicKey)) throw new Error('the TLS certificate does not verify with the identity key (bug)');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  return { identity, key: typeof pem === 'string' ? pem : pem.toString('utf8'), cert: toPem(der, 'CERTIFICATE') };
}

/**
 * TLS options shared by both sides: TLS 1.3 only, our certificate presented, no CA check (there
 * is no CA: `provenIdentity` checks the key instead), no host name check (identities are keys).
 */
export function tlsOptions(id: TlsIdentity) {
  return {
    key: id.key,
    cert: id.cert,
    minVersion: 'TLSv1.3' as const,
    maxVersion: 'TLSv1.3' as const,
    rejectUnauthorized: false,
    // Identities are ed25519 keys: offer and accept nothing else for the handshake signatures.
    sigalgs: 'ed25519',
    ALPNProtocols: [LINK_ALPN, VERIFY_ALPN],
  };
}

const contexts = new WeakMap<TlsIdentity, SecureContext>();

/** Client options with our identity's SecureContext, made once (parsing the key for every dial is costly). */
export function tlsClientOptions(id: TlsIdentity) {
  let secureContext = contexts.get(id);
  if (!secureContext) {
    secureContext = createSecureContext(tlsOptions(id));
    contexts.set(id, secureContext);
  }
  const { minVersion, maxVersion, rejectUnauthorized } = tlsOptions(id);
  return { secureContext, minVersion, maxVersion, rejectUnauthorized, checkServerIdentity: () => undefined, ALPNProtocols: [LINK_ALPN] };
}

/**
 * ALPN (RFC 7301) says what a connection to a P2P port is for: a standing link (hello, pings,
 * pairing ...), or a verification that ends with the handshake (issue 9: a listed device is
 * verified by a short handshake, not by a link). The server closes a verification at once, with
 * no hello and no link; the verifying client shows no certificate of its own, so it learns the
 * server's identity without telling its own (which a Contacts only node must not).
 */
export const LINK_ALPN = 'sd-nearby/1';
export const VERIFY_ALPN = 'sd-nearby-verify/1';

let anonymousContext: SecureContext | null = null;

/** Client options of a verification: no certificate of ours, TLS 1.3 and Ed25519 only, ALPN VERIFY_ALPN. */
export function tlsVerifyClientOptions() {
  anonymousContext ??= createSecureContext({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', sigalgs: 'ed25519' });
  return { secureContext: anonymousContext, minVersion: 'TLSv1.3' as const, maxVersion: 'TLSv1.3' as const, rejectUnauthorized: false, checkServerIdentity: () => undefined, ALPNProtocols: [VERIFY_ALPN] };
}

/**
 * The identity the peer proved in the TLS handshake: the ed25519 key of the certificate it
 * presented (TLS 1.3's CertificateVerify proves it holds the private key). Null when the peer
 * presented no certificate, a key of another type, or the session is not TLS 1.3.
 */
export function provenIdentity(socket: TLSSocket): string | null {
  if (socket.getProtocol() !== 'TLSv1.3') return null;
  const cert = socket.getPeerX509Certificate();
  if (!cert) return null;
  return identityOfCertificate(cert);
}

/** The identity of a certificate's public key, or null when it is not an ed25519 key. */
export function identityOfCertificate(cert: X509Certificate): string | null {
  try {
    const key = cert.publicKey;
    if (key.asymmetricKeyType !== 'ed25519') return null;
    return identityOfKey(key);
  } catch {
    return null;
  }
}
