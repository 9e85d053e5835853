// An outsider probing a Contacts only node's advertised port (issue 5): connects with TLS 1.3 and a
// throwaway identity, optionally with a given server name, asks for metadata (`metadata-request`
// and a hello), and prints as JSON what it got: the key of the certificate the server showed, the
// frames it received, and whether the server closed the connection.
//
//   node --import tsx tests/support/privateProbeMain.ts HOST PORT [SERVERNAME]

import { generateKeyPairSync } from 'node:crypto';
import { connect } from 'node:tls';
import { createTlsIdentity, provenIdentity, tlsOptions } from '../../src-main/core/p2p/tlsIdentity.js';
import { encodeFrame, FrameDecoder } from '../../src-main/core/p2p/frames.js';

const [host, portText, servername] = process.argv.slice(2);
const id = createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
const result: { certIdentity: string | null; frames: unknown[]; closedByServer: boolean; error: string | null } = { certIdentity: null, frames: [], closedByServer: false, error: null };
const socket = connect({ ...tlsOptions(id), host, port: Number(portText), checkServerIdentity: () => undefined, ...(servername ? { servername } : {}) });
const decoder = new FrameDecoder();
const done = () => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
};
socket.on('secureConnect', () => {
  result.certIdentity = provenIdentity(socket);
  try {
    socket.write(encodeFrame({ type: 'hello', version: 1, metadata: { name: 'probe', operatingSystem: 'other', deviceModel: null, version: null, libraries: [] } }));
    socket.write(encodeFrame({ type: 'metadata-request' }));
  } catch (err) {
    result.error = (err as Error).message;
  }
});
socket.on('data', (chunk: Buffer) => {
  try {
    result.frames.push(...decoder.push(chunk));
  } catch (err) {
    result.error = (err as Error).message;
  }
});
socket.on('error', (err) => {
  result.error = err.message;
});
socket.on('close', () => {
  result.closedByServer = true;
  done();
});
setTimeout(done, 3000);
