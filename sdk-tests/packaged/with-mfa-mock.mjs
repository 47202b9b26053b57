// Runs a command with MFA_MOCK_URL set to a server started by the npm package's
// startMfaMock(), and stops that server after it:
//
//   node packaged/with-mfa-mock.mjs node --test node-11/*.test.mjs
import { spawn } from 'node:child_process';

import { startMfaMock } from 'mfa-mock';

const [command, ...args] = process.argv.slice(2);
const server = await startMfaMock();
console.log(`== mfa-mock (npm package) listening on ${server.url}`);
const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, MFA_MOCK_URL: server.url } });
const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
await server.stop();
process.exit(code);
