// How the JavaScript engine is run for a node. Called once by each shell (the CLI, the desktop
// app's main process) before the node starts; it changes the whole process, so the shells own it.
//
// A node's work comes in bursts and then idles: a LAN booting together is hundreds of mDNS
// packets in a few seconds, each handled once by many short code paths (decode, cache, list,
// state), then a few packets a minute. V8's optimizing compiler (TurboFan) compiles the paths
// that got hot on background threads, during exactly those bursts, and the compiled code gains
// little here: the time goes to built-ins (maps, strings, allocation) either way. Measured on a
// node replaying a 50-node boot storm's 482 packets: 240-270 ms of CPU with TurboFan (a third of
// it compiling), 160-190 ms without; over three replays 640 ms against 450 ms. On a LAN of 50
// booting together, every host pays that at once. So a node stops at the baseline compiler
// (Sparkplug), which compiles without optimizing and costs next to nothing.

import v8 from 'node:v8';

/** Stops V8's tiering at the baseline compiler (`--max-opt=1`) for the rest of the process. */
export function preferBaselineCompiler(): void {
  v8.setFlagsFromString('--max-opt=1');
}
