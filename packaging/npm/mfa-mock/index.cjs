'use strict';
// Starts the mfa-mock binary of this platform (from the @mfa-mock/<platform>-<arch> package
// npm installed next to this one) and drives its test controls over plain HTTP.

const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const readline = require('node:readline');

const EXE = process.platform === 'win32' ? '.exe' : '';

/** The binary: MFA_MOCK_BINARY, else the one in this platform's package. */
function binaryPath() {
  if (process.env.MFA_MOCK_BINARY) return process.env.MFA_MOCK_BINARY;
  const platformPackage = `@mfa-mock/${process.platform}-${process.arch}`;
  let manifest;
  try {
    manifest = require.resolve(`${platformPackage}/package.json`);
  } catch {
    throw new Error(
      `mfa-mock: ${platformPackage} is not installed, so there is no binary for this platform. ` +
        'Reinstall without --no-optional / --omit=optional, set MFA_MOCK_BINARY, or pass { url } of a running server.',
    );
  }
  return path.join(path.dirname(manifest), 'bin', `mfa-mock${EXE}`);
}

/** Every server still running, killed when this process exits (a forgotten stop()). */
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function startMfaMock(options = {}) {
  const external = options.url ?? process.env.MFA_MOCK_URL;
  if (external) return server(external.replace(/\/+$/, ''), async () => {});

  const args = ['--host', options.host ?? '127.0.0.1', '--port', String(options.port ?? 0), ...(options.args ?? [])];
  const child = spawn(options.binary ?? binaryPath(), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    windowsHide: true,
  });
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => running.delete(child));

  // The log goes to a short buffer (shown if the start fails) and, if asked, to our stderr.
  const tail = [];
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (options.stderr === 'inherit') process.stderr.write(`${line}\n`);
  });
  const lines = readline.createInterface({ input: child.stdout });
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mfa-mock did not print its URL within ${timeoutMs} ms`)), timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      const found = line.split(/\s+/).find((word) => word.includes('://'));
      found ? resolve(found.replace(/\/+$/, '')) : reject(new Error(`mfa-mock printed no URL: ${line}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`mfa-mock could not be started: ${error.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`mfa-mock exited (${signal ?? `status ${code}`}) before it listened:\n${tail.join('\n')}`));
    });
  }).catch((error) => {
    child.kill('SIGKILL');
    throw error;
  });
  lines.on('line', () => {}); // keep reading stdout so the server never blocks on it

  // A test runner that forgets stop() still ends: the child holds no event-loop reference,
  // and the 'exit' hook above kills it.
  child.unref();
  child.stdout.unref?.();
  child.stderr.unref?.();

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs ?? 10_000);
    await exited;
    clearTimeout(timer);
  };
  return server(url, stop, child.pid);
}

function server(url, stop, pid) {
  return {
    url,
    pid,
    stop,
    tenant: (tenantOptions = {}) => tenant(url, tenantOptions),
    [Symbol.asyncDispose]: stop,
  };
}

function tenant(url, { apiKey, clientId } = {}) {
  const key = apiKey ?? `sk_test_${randomBytes(12).toString('hex')}`;
  const base = new URL(url);

  async function request(method, pathname, body, query) {
    const target = new URL(pathname, base);
    for (const [name, value] of Object.entries(query ?? {})) target.searchParams.set(name, String(value));
    const headers = { Authorization: `Bearer ${key}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(target, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${pathname} answered ${response.status}: ${text}`);
    return text.trim() ? JSON.parse(text) : undefined;
  }
  const smsMessages = async (filters) => (await request('GET', '/_mock/sms', undefined, filters)).data;
  const clock = () => request('GET', '/_mock/clock');
  const faults = async () => (await request('GET', '/_mock/faults')).data;
  const removeFault = (id) => request('DELETE', `/_mock/faults/${encodeURIComponent(id)}`);

  return {
    url,
    apiKey: key,
    // WorkOS SDKs want a client id next to the key; mfa-mock's MFA API ignores it.
    clientId: clientId ?? `client_${randomBytes(8).toString('hex').toUpperCase()}`,
    // The Node SDK takes a host name, a port and https off, not a base URL.
    workosOptions: {
      apiHostname: base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
      https: base.protocol === 'https:',
    },
    request,
    smsMessages,
    async smsCode(challengeId) {
      const messages = await smsMessages({ challenge_id: challengeId });
      if (messages.length !== 1) throw new Error(`expected one text for ${challengeId}, the outbox has ${JSON.stringify(messages)}`);
      return messages[0].code;
    },
    clearSms: () => request('DELETE', '/_mock/sms'),
    clock,
    freezeClock: async (at) => request('POST', '/_mock/clock', { freeze_at: at ?? (await clock()).now }),
    advanceClock: (seconds) => request('POST', '/_mock/clock', { advance_seconds: Math.trunc(seconds) }),
    resumeClock: () => request('POST', '/_mock/clock', { resume: true }),
    addFault: (fault) => request('POST', '/_mock/faults', { method: '*', path: '*', ...fault }),
    faults,
    removeFault,
    clearFaults: async () => {
      for (const fault of await faults()) await removeFault(fault.id);
    },
    journal: async () => (await request('GET', '/_mock/requests')).data,
    clearJournal: () => request('DELETE', '/_mock/requests'),
    reset: () => request('POST', '/_mock/reset'),
    exportState: () => request('GET', '/_mock/state'),
    importState: (state) => request('PUT', '/_mock/state', state),
  };
}

module.exports = { startMfaMock, binaryPath };
