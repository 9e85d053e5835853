// Writes the node's settings and libraries files as fast as it can, until it is killed
// (tests/net/hardening-crash.test.ts SIGKILLs it at random moments). It uses the stores of the
// built node (dist/, made by `npm run build`) and starts no discovery: no socket is opened.
//
//   node settingsWriterMain.mjs <dataDir> <round>
//
// Every line on stdout is written synchronously (writeSync: nothing waits in a buffer of ours when
// the kill comes), so what the test reads is what happened before the kill: `begin <file> <value>` before a write,
// `done <file> <value>` once it resolved. The value is the device name for settings.json and the
// name of the library changed for libraries.json.

import { writeSync } from 'node:fs';
import { SettingsStore } from '../../dist/src-main/core/storage/settings.js';
import { LibraryStore } from '../../dist/src-main/core/storage/libraries.js';

const [dataDir, roundText] = process.argv.slice(2);
const round = Number(roundText);
const say = (line) => writeSync(1, `${line}\n`);

const settings = await SettingsStore.load(dataDir);
const libraries = await LibraryStore.load(dataDir);
if (settings.problem || libraries.problem) say(`problem ${JSON.stringify([settings.problem, libraries.problem])}`);
say('ready');
for (let i = 0; ; i++) {
  const name = `r${round}-${i}`;
  say(`begin settings ${name}`);
  // Some writes grow the file, some shrink it: a torn write would show.
  const manualPeers = Array.from({ length: i % 7 }, (_, k) => `host-${round}-${i}-${k}.local:${7000 + k}`);
  await settings.update({ name, discovery: i % 2 === 0 ? 'everyone' : 'disabled', manualPeers });
  say(`done settings ${name}`);
  const libName = `L${round}-${i}`;
  say(`begin libraries ${libName}`);
  const list = libraries.list();
  if (list.length < 6) await libraries.create(libName);
  else await libraries.rename(list[i % list.length].uuid, libName);
  say(`done libraries ${libName}`);
}
