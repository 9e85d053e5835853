#!/usr/bin/env node
// Runs at the end of `npm install` (the project's own postinstall; no dependency's runs, see
// package.json `allowScripts`): downloads Electron's binary for the desktop window where it can,
// and where it cannot, says so in one line and lets the install succeed: the headless node and the
// web UI need no Electron.
import { downloadElectron, electronBinary, noElectronLine } from './electron-binary.mjs';

if (electronBinary() === null && downloadElectron() === null) process.stderr.write(`${noElectronLine()}\n`);
