// Random payloads for the contract's commands (property-style, from a seed): JSON values of random
// shapes and sizes, the right fields with wrong types, strings around the limits (64 characters,
// 64 KiB), control and bidi characters, deep nesting, prototype-pollution keys, and now and then a
// payload that is valid, so that the commands' real work runs between the refusals.

import { COMMAND_NAMES, commands, PAYLOAD_MAX_BYTES, type CommandName } from '../../src-shared/contract.js';
import { DISCOVERY_MODES } from '../../src-shared/discoveryModes.js';
import type { Rng } from './prng.js';

/**
 * The commands fuzzed. Not networkCheck: it listens for seconds by design (10 with an empty
 * payload), and a fuzzer waits a few seconds at most for each answer; its payloads are refused
 * and accepted as they should be in tests/unit/networkCheck.test.ts.
 */
export const COMMANDS = COMMAND_NAMES.filter((name) => name !== 'networkCheck');

/** The field names a command's payload schema declares (zod objects expose `shape`). */
export function fieldsOf(command: string): string[] {
  if (!Object.prototype.hasOwnProperty.call(commands, command)) return [];
  const shape = (commands[command as CommandName].payload as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/** What the node currently holds, to aim some payloads at real things. */
export interface Targets {
  libraryUuids: string[];
  peerIds: string[];
  identities: string[];
  manualPeers: string[];
}

const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const NASTY_TEXT = ['\u202e', '\u200b', '\u0000', '\u0007', '\u001b[31m', '\ud800', '\udfff', '😀', 'é', '\u2066', '\ufeff', '\r\n', '"', '\\', '</script>', '%00', '${x}', ' '];

export function randomString(rng: Rng, maxLength = 100): string {
  switch (rng.int(0, 6)) {
    case 0:
      return '';
    case 1:
      return Array.from({ length: rng.int(1, 20) }, () => rng.pick(NASTY_TEXT)).join('');
    case 2:
      return 'x'.repeat(rng.pick([63, 64, 65, 255, 256, 300, 301, 1000]));
    case 3:
      return '😀'.repeat(rng.pick([16, 63, 64, 65]));
    case 4:
      return String.fromCharCode(...Array.from({ length: rng.int(1, Math.min(40, maxLength)) }, () => rng.int(0, 0xffff)));
    default:
      return Array.from({ length: rng.int(1, Math.min(30, maxLength)) }, () => rng.pick('abcXYZ019 -_.:[]@/'.split(''))).join('');
  }
}

function randomNumber(rng: Rng): number {
  return rng.pick([0, -0, 1, -1, 0.5, 59, 60, 61, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, 65535, 65536, rng.int(-1e6, 1e6)]);
}

/** A random JSON value of random shape, at most `depth` levels deep. */
export function randomJson(rng: Rng, depth = 3): unknown {
  const kind = rng.int(0, depth > 0 ? 7 : 4);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return randomNumber(rng);
    case 3:
    case 4:
      return randomString(rng);
    case 5:
      return Array.from({ length: rng.int(0, 5) }, () => randomJson(rng, depth - 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(0, 5); i > 0; i--) {
        const key = rng.chance(0.3) ? rng.pick(POLLUTION_KEYS) : randomString(rng, 12);
        // defineProperty: `o[key] = v` with key __proto__ would set the prototype, not a key.
        Object.defineProperty(o, key, { value: randomJson(rng, depth - 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
  }
}

/** Nested arrays or objects `depth` deep (as JSON text, so that no stack is needed to build it). */
export function deepJsonText(rng: Rng, depth: number): string {
  return rng.chance(0.5) ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A value for a declared field, usually of the right type, often wrong. */
function fieldValue(rng: Rng, field: string, targets: Targets): unknown {
  if (rng.chance(0.25)) return randomJson(rng, 2); // any type at all
  switch (field) {
    case 'mode':
      return rng.chance(0.6) ? rng.pick(DISCOVERY_MODES) : rng.pick(['Everyone', 'EVERYONE', 'everyone ', 'off', '', 'disabled\u0000']);
    case 'minutes':
      return randomNumber(rng);
    case 'uuid':
      return rng.chance(0.5) && targets.libraryUuids.length > 0
        ? rng.pick(targets.libraryUuids)
        : rng.pick(['00000000-0000-4000-8000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'not-a-uuid', '../../etc/passwd', randomString(rng)]);
    case 'peerId':
      return rng.chance(0.5) && targets.peerIds.length > 0 ? rng.pick(targets.peerIds) : randomString(rng);
    case 'identity':
      return rng.chance(0.5) && targets.identities.length > 0 ? rng.pick(targets.identities) : randomString(rng);
    case 'address':
      return rng.chance(0.3) && targets.manualPeers.length > 0
        ? rng.pick(targets.manualPeers)
        : rng.pick(['10.0.0.1', '10.0.0.1:7373', '[fe80::1%eth0]:7373', '[::1]:0', 'host', 'host.local:65536', 'a'.repeat(300), ':7373', '999.1.1.1:1', `h${rng.int(0, 999)}.invalid:${rng.int(1, 65535)}`, randomString(rng)]);
    case 'sessionId':
      return rng.pick(['a', 'A'.repeat(64), 'A'.repeat(65), 'bad id', randomString(rng)]);
    case 'looking':
      return rng.chance(0.7) ? rng.chance(0.5) : rng.pick(['true', 1, 0, null]);
    case 'openPeerId':
      return rng.chance(0.5) && targets.peerIds.length > 0 ? rng.pick(targets.peerIds) : rng.pick([null, 'x'.repeat(301), randomString(rng)]);
    case 'visiblePeerIds':
      return rng.chance(0.6)
        ? Array.from({ length: rng.pick([0, 1, 20, 500, 501]) }, () => (targets.peerIds.length > 0 && rng.chance(0.5) ? rng.pick(targets.peerIds) : randomString(rng, 40)))
        : randomJson(rng, 2);
    default:
      return rng.chance(0.7) ? randomString(rng) : randomJson(rng, 2);
  }
}

/** A payload for `command`: mostly objects with its fields (some missing, some extra), sometimes anything. */
export function randomPayload(rng: Rng, command: string, targets: Targets): unknown {
  const roll = rng();
  if (roll < 0.1) return randomJson(rng, 4);
  if (roll < 0.13) return undefined;
  const o: Record<string, unknown> = {};
  for (const field of fieldsOf(command)) if (rng.chance(0.85)) o[field] = fieldValue(rng, field, targets);
  if (rng.chance(0.2)) {
    const key = rng.chance(0.5) ? rng.pick(POLLUTION_KEYS) : randomString(rng, 10);
    Object.defineProperty(o, key, { value: rng.chance(0.5) ? { polluted: true, mode: 'disabled', name: 'Polluted' } : randomJson(rng, 2), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

/** A string field's value that makes the payload about `bytes` bytes of JSON (near or over the cap). */
export function hugeString(rng: Rng): string {
  const target = rng.pick([PAYLOAD_MAX_BYTES - 64, PAYLOAD_MAX_BYTES - 20, PAYLOAD_MAX_BYTES, PAYLOAD_MAX_BYTES + 1, PAYLOAD_MAX_BYTES + 100, 2 * PAYLOAD_MAX_BYTES, 1024 * 1024]);
  return rng.chance(0.8) ? 'y'.repeat(target) : 'é'.repeat(Math.ceil(target / 2));
}
