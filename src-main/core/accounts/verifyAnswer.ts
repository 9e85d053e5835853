// The account in a verification (issue 14). Presence verifies most listed devices with a short
// TLS handshake and no link (peers/verifier.ts, ALPN sd-nearby-verify/1): the hello, where a link
// carries the credentials, never happens there. So the server answers a verification with one
// frame, `{type: "account", version: 1, account: {account, device}}`, inside the TLS session whose
// handshake just proved its key, then closes. The same rule as a hello decides whether it may
// (ModePolicy.sharesAccount: in Everyone mode, to anyone; a verifying client shows no certificate,
// so a Contacts only node, whose fixed port is closed anyway, never answers one). A node that says
// nothing (an older one) simply closes: no account.

import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { encodeFrame, FrameDecoder } from '../p2p/frames.js';
import { accountPresentationSchema, type AccountPresentation } from './accountTrust.js';

/** How long a verifying client waits for the answer after the handshake (it comes with the server's first flight on a LAN). */
export const VERIFY_ANSWER_TIMEOUT_MS = 1000;

const verifyAnswerSchema = z.object({ type: z.literal('account'), version: z.literal(1), account: accountPresentationSchema }).strict();

/** The frame a verification is answered with. */
export function encodeVerifyAnswer(presentation: AccountPresentation): Buffer {
  return encodeFrame({ type: 'account', version: 1, account: presentation });
}

/**
 * The credentials a verified server sent before closing; null when it sent none, or something
 * that is not an answer, or nothing in time. The socket is ended either way.
 */
export function readVerifyAnswer(socket: TLSSocket, timeoutMs = VERIFY_ANSWER_TIMEOUT_MS): Promise<AccountPresentation | null> {
  return new Promise((resolve) => {
    const decoder = new FrameDecoder();
    let done = false;
    const finish = (answer: AccountPresentation | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.end();
      socket.destroy();
      resolve(answer);
    };
    const onData = (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch {
        return finish(null);
      }
      if (frames.length === 0) return;
      const parsed = verifyAnswerSchema.safeParse(frames[0]);
      finish(parsed.success ? parsed.data.account : null);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on('data', onData);
    socket.once('end', () => finish(null));
    socket.once('close', () => finish(null));
    socket.once('error', () => finish(null));
  });
}
