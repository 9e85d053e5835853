// The TLS identity: a self-signed certificate over the node's own ed25519 key, TLS 1.3 only, both
// sides present certificates, and the key proven in the handshake is the peer's identity.
// (TLS over 127.0.0.1 inside this process: no discovery, nothing leaves the loopback.)

import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { connect, createSecureContext, createServer, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { identityOfKey } from '../../src-main/core/storage/identityKey.js';
import { createTlsIdentity, identityOfCertificate, provenIdentity, tlsOptions, type TlsIdentity } from '../../src-main/core/p2p/tlsIdentity.js';
import { isRemoteIdentity } from '../../src-shared/identity.js';

function newIdentity(): TlsIdentity {
  return createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
}

interface Outcome {
  serverSaw: string | null | 'no-connection';
  clientSaw: string | null;
  clientError: string | null;
}

const servers: Array<ReturnType<typeof createServer>> = [];
after(() => {
  for (const s of servers) s.close();
});

/** A server with `server`'s identity; a client connecting with `clientOptions`; what each proved. */
async function handshake(server: TlsIdentity, clientOptions: ConnectionOptions): Promise<Outcome> {
  let serverSaw: Outcome['serverSaw'] = 'no-connection';
  const srv = createServer({ ...tlsOptions(server), requestCert: true }, (socket: TLSSocket) => {
    serverSaw = provenIdentity(socket);
    socket.end();
  });
  srv.on('tlsClientError', () => {});
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port, checkServerIdentity: () => undefined, ...clientOptions });
    let clientSaw: string | null = null;
    c.once('secureConnect', () => {
      clientSaw = provenIdentity(c);
    });
    c.on('data', () => {});
    const done = (clientError: string | null) => setTimeout(() => resolve({ serverSaw, clientSaw, clientError }), 50);
    c.once('error', (e) => done(e.message));
    c.once('close', () => done(null));
  });
}

describe('TLS identity', () => {
  test('the certificate is self-signed over the identity key itself', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const id = createTlsIdentity(privateKey);
    assert.ok(isRemoteIdentity(id.identity));
    assert.equal(id.identity, identityOfKey(privateKey));
    const cert = new X509Certificate(id.cert);
    assert.equal(cert.publicKey.asymmetricKeyType, 'ed25519');
    assert.equal(identityOfCertificate(cert), id.identity);
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
    assert.ok(new Date(cert.validTo).getTime() > Date.now() + 365 * 24 * 3600 * 1000);
  });

  test('mutual TLS 1.3: each side proves its own key, and sees the other\'s', async () => {
    const server = newIdentity();
    const client = newIdentity();
    const o = await handshake(server, tlsOptions(client));
    assert.equal(o.clientError, null);
    assert.equal(o.clientSaw, server.identity);
    assert.equal(o.serverSaw, client.identity);
  });

  test('nobody can present a certificate over a key they do not hold', () => {
    const victim = newIdentity();
    const attacker = newIdentity();
    // The victim's certificate is public; with the attacker's private key it is unusable.
    assert.throws(() => createSecureContext({ key: attacker.key, cert: victim.cert }), /key values mismatch/);
  });

  test('a client without a certificate proves nothing and is not linked', async () => {
    const server = newIdentity();
    const o = await handshake(server, { minVersion: 'TLSv1.3', rejectUnauthorized: false });
    assert.notEqual(o.serverSaw, server.identity);
    assert.ok(o.serverSaw === null || o.serverSaw === 'no-connection', `server saw ${String(o.serverSaw)}`);
  });

  test('TLS 1.2 is refused', async () => {
    const server = newIdentity();
    const client = newIdentity();
    const o = await handshake(server, { ...tlsOptions(client), minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    assert.equal(o.serverSaw, 'no-connection');
    assert.ok(o.clientError !== null, 'the client gets a handshake error');
  });
});
