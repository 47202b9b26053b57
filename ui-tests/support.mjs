// What every inspector test needs: a fresh mfa-mock on port 0, its API, headless Chromium,
// TOTP codes and QR decoding computed here, independently of the page.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import jsQR from 'jsqr';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, 'artifacts');

/// The server binary run.sh built (or MFA_MOCK_BIN).
const BINARY = process.env.MFA_MOCK_BIN || join(here, '..', 'target', 'debug', 'mfa-mock');

/// Starts mfa-mock on 127.0.0.1:0; resolves with its URL and a stop function.
export async function startServer() {
  const child = spawn(BINARY, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`mfa-mock exited with ${code} before printing its URL`)));
    lines.once('line', (line) => {
      const found = line.match(/https?:\/\/\S+/);
      found ? resolve(found[0]) : reject(new Error(`unexpected first line: ${line}`));
    });
  });
  return {
    url,
    stop: () => new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}

/// A client of one tenant: `call(method, path, body)` resolves with { status, body }.
export function tenant(url, key) {
  return async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${key}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

/// Debian's Chromium, headless, with a fresh profile (Playwright makes a new user-data-dir per launch).
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// A page at `viewport` that records every request it makes and every error it reports.
export async function openPage(browser, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.requests = [];
  page.problems = [];
  page.on('request', (request) => page.requests.push(request.url()));
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console: ${message.text()}`);
  });
  return page;
}

/// Opens the inspector for `key` on `view`, as a link with the key in its fragment would.
export async function inspect(page, url, key, view = 'factors') {
  await page.goto(`${url}/_mock/ui#key=${encodeURIComponent(key)}&view=${view}`);
  await page.waitForSelector(`body[data-loaded="${view}"]`);
}

/// Saves a screenshot of the whole page under ui-tests/artifacts/.
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/// The text a PNG data URI's QR code holds.
export function decodeQr(dataUri) {
  const png = PNG.sync.read(Buffer.from(dataUri.replace(/^data:image\/png;base64,/, ''), 'base64'));
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!found) throw new Error('no QR code found in the image');
  return found.data;
}

/// The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 `secret` at `unixSeconds`.
export function totpCode(secret, unixSeconds) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = mac[19] & 15;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1000000).padStart(6, '0');
}
