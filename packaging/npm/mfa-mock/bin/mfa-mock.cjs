#!/usr/bin/env node
'use strict';
// `npx mfa-mock [flags]`: runs this platform's binary with the flags given, passing signals
// on so Ctrl-C or a CI's SIGTERM stops the server (gracefully) and leaves no process behind.

const { spawn } = require('node:child_process');
const { binaryPath } = require('../index.cjs');

let binary;
try {
  binary = binaryPath();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (error) => {
  console.error(`mfa-mock: could not run ${binary}: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 143);
});
