// The /_mock/ui inspector in headless Chromium against a fresh mfa-mock: each test makes its
// data through the API with its own key, opens the page and checks what it shows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, decodeQr, inspect, launchBrowser, openPage, screenshot, startServer, tenant, totpCode,
} from './support.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/// Waits until the text of `selector` passes `check`; fails with what it last showed.
async function waitForText(page, selector, check, what) {
  let shown = '(absent)';
  for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
    shown = await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => '(absent)');
    if (check(shown)) return;
    await page.waitForTimeout(100);
  }
  assert.fail(`${what}: ${selector} shows ${JSON.stringify(shown)}`);
}

/// Nothing was fetched from another origin, and the page reported no error (CSP violations included).
function assertClean(page) {
  const foreign = page.requests.filter((url) => !url.startsWith(server.url));
  assert.deepEqual(foreign, [], 'requests to other origins');
  assert.deepEqual(page.problems, [], 'errors reported by the page');
}

test('the factors view shows each TOTP QR code, which decodes to its URI, and the code for the tenant time', async () => {
  const call = tenant(server.url, 'sk_test_ui_factors');
  await call('POST', '/_mock/clock', { freeze_at: '2026-01-15T12:00:10Z' });
  const user = (await call('POST', '/user_management/users', { email: 'ada@example.com', first_name: 'Ada' })).body;
  const authkit = (await call('POST', `/user_management/users/${user.id}/auth_factors`,
    { type: 'totp', totp_issuer: 'Foo Corp', totp_user: 'ada@example.com' })).body.authentication_factor;
  const standalone = (await call('POST', '/auth/factors/enroll',
    { type: 'totp', totp_issuer: 'Bar Inc', totp_user: 'grace@example.com' })).body;
  const page = await openPage(browser);

  await inspect(page, server.url, 'sk_test_ui_factors', 'factors');

  for (const factor of [authkit, standalone]) {
    const card = `[data-factor="${factor.id}"]`;
    const src = await page.locator(`${card} img.qr`).getAttribute('src');
    assert.equal(decodeQr(src), factor.totp.uri, 'the QR code decodes to the enrollment URI');
    assert.match(await page.locator(card).textContent(), new RegExp(factor.totp.secret));
    // 2026-01-15T12:00:10Z, the tenant's frozen time, not the browser's.
    const expected = totpCode(factor.totp.secret, Date.parse('2026-01-15T12:00:10Z') / 1000);
    await waitForText(page, `${card} output.code`, (t) => /^\d{6}$/.test(t), 'a current code');
    assert.equal(await page.locator(`${card} output.code`).textContent(), expected);
    assert.match(await page.locator(`${card} .remaining`).textContent(), /^20 s left/);
  }
  assert.match(await page.locator(`section[aria-label="user ada@example.com"]`).textContent(), new RegExp(authkit.id));
  assert.match(await page.locator('[role="note"]').textContent(), /real\s+WorkOS API never would/);
  await screenshot(page, 'factors');
  assertClean(page);
});

test('without a secure context the factors view keeps the QR code and secret and says why there is no code', async () => {
  const call = tenant(server.url, 'sk_test_ui_insecure');
  const factor = (await call('POST', '/auth/factors/enroll', { type: 'totp', totp_issuer: 'Foo Corp', totp_user: 'ada@example.com' })).body;
  const page = await openPage(browser);
  // What a plain-http address other than localhost gets: no WebCrypto.
  await page.addInitScript(() => Object.defineProperty(window, 'isSecureContext', { value: false }));

  await inspect(page, server.url, 'sk_test_ui_insecure', 'factors');

  const card = `[data-factor="${factor.id}"]`;
  assert.equal(decodeQr(await page.locator(`${card} img.qr`).getAttribute('src')), factor.totp.uri);
  assert.match(await page.locator(card).textContent(), new RegExp(factor.totp.secret));
  assert.equal(await page.locator(`${card} output.code`).textContent(), 'n/a');
  assert.match(await page.locator('#totp-note').textContent(), /secure context/);
  assert.equal(await page.locator('#totp-note').isVisible(), true);
  assertClean(page);
});

test('the SMS view shows the code the outbox gave, and a clock advance from the Clock view expires it', async () => {
  const call = tenant(server.url, 'sk_test_ui_sms');
  const factor = (await call('POST', '/auth/factors/enroll', { type: 'sms', phone_number: '+16073517112' })).body;
  const challenge = (await call('POST', `/auth/factors/${factor.id}/challenge`, {})).body;
  const [message] = (await call('GET', `/_mock/sms?challenge_id=${challenge.id}`)).body.data;
  const page = await openPage(browser);

  await inspect(page, server.url, 'sk_test_ui_sms', 'sms');

  const row = `tr[data-challenge="${challenge.id}"]`;
  assert.equal(await page.locator(`${row} mark`).textContent(), message.code);
  assert.match(await page.locator(row).textContent(), /\+16073517112/);
  await waitForText(page, `${row} [data-expires]`, (t) => t.startsWith('valid, expires in'), 'a live challenge');
  await screenshot(page, 'sms');

  await page.getByRole('tab', { name: 'Clock' }).click();
  await page.locator('#advance-by').fill('601');
  await page.locator('#advance-unit').selectOption('1');
  await page.getByRole('button', { name: 'Advance' }).click();
  await waitForText(page, '#notice', (t) => t === 'Clock moved by 601 s.', 'the advance is confirmed');
  await screenshot(page, 'clock');
  await page.getByRole('tab', { name: 'SMS outbox' }).click();

  await waitForText(page, `${row} [data-expires]`, (t) => t === 'expired', 'the challenge expired');
  const verify = await call('POST', `/auth/challenges/${challenge.id}/verify`, { code: message.code });
  assert.equal(verify.body.code, 'authentication_challenge_expired', 'the server agrees');
  assertClean(page);
});

test('the journal lists API requests and a row expands to headers and body with the key redacted', async () => {
  const key = 'sk_test_ui_journal_secret_key';
  const call = tenant(server.url, key);
  await call('POST', '/auth/factors/enroll', { type: 'generic_otp', unexpected_field: 1 });
  const refused = await call('POST', '/auth/factors/enroll', { type: 'carrier_pigeon' });
  assert.equal(refused.status, 422);
  const page = await openPage(browser);

  await inspect(page, server.url, key, 'journal');

  const entries = page.locator('#journal details');
  assert.equal(await entries.count(), 2);
  const newest = entries.first();
  assert.match(await newest.locator('summary').textContent(), /POST \/auth\/factors\/enroll.*422/);
  await newest.locator('summary').click();
  assert.equal(await newest.getAttribute('open'), '');
  const shown = await newest.textContent();
  assert.match(shown, /authorization\s*\[redacted\]/);
  assert.match(shown, /carrier_pigeon/);
  const older = entries.nth(1);
  assert.match(await older.locator('summary').textContent(), /→ 201.*1 problem/);
  await older.locator('summary').click();
  assert.match(await older.textContent(), /unexpected_field/);
  assert.doesNotMatch(await page.locator('#view-journal').textContent(), new RegExp(key));
  await page.waitForTimeout(2500);
  assert.equal(await newest.getAttribute('open'), '', 'an open row stays open across a refresh');
  await screenshot(page, 'journal');
  assertClean(page);
});

test('the clock view freezes the tenant at a chosen time and resumes', async () => {
  const call = tenant(server.url, 'sk_test_ui_clock');
  const page = await openPage(browser);
  await inspect(page, server.url, 'sk_test_ui_clock', 'clock');

  await page.getByLabel('Freeze at').fill('2026-03-01T08:30:00Z');
  await page.getByRole('button', { name: 'Freeze' }).click();

  await waitForText(page, '#clock-now', (t) => t === '2026-03-01T08:30:00Z', 'the frozen time');
  assert.equal(await page.locator('#clock-state').textContent(), '(frozen)');
  assert.deepEqual((await call('GET', '/_mock/clock')).body,
    { object: 'clock', now: '2026-03-01T08:30:00.000Z', frozen: true });
  await page.getByRole('button', { name: 'Resume real time' }).click();
  await waitForText(page, '#clock-state', (t) => t === '(running)', 'a running clock');
  assert.equal((await call('GET', '/_mock/clock')).body.frozen, false);
  assertClean(page);
});

test('the faults view adds a fault the server applies, lists it and removes it', async () => {
  const call = tenant(server.url, 'sk_test_ui_faults');
  const page = await openPage(browser);
  await inspect(page, server.url, 'sk_test_ui_faults', 'faults');

  await page.getByLabel('Method').selectOption('POST');
  await page.getByLabel('Path').fill('/auth/factors/enroll');
  await page.getByLabel('Status').fill('503');
  await page.getByLabel('Times').fill('2');
  await page.getByRole('button', { name: 'Add fault' }).click();

  const [fault] = await (async () => {
    await page.locator('tr[data-fault]').waitFor();
    return (await call('GET', '/_mock/faults')).body.data;
  })();
  assert.equal(fault.status, 503);
  assert.equal(fault.times_remaining, 2);
  assert.match(await page.locator(`tr[data-fault="${fault.id}"]`).textContent(), /POST.*\/auth\/factors\/enroll.*503/);
  assert.equal((await call('POST', '/auth/factors/enroll', { type: 'generic_otp' })).status, 503);
  await screenshot(page, 'faults');
  await page.getByRole('button', { name: `Remove fault ${fault.id}` }).click();
  await waitForText(page, '#faults', (t) => t.startsWith('No faults'), 'the fault is gone');
  assert.deepEqual((await call('GET', '/_mock/faults')).body.data, []);
  assertClean(page);
});

test('a second key sees none of the first key\'s data', async () => {
  const first = tenant(server.url, 'sk_test_ui_first');
  const totp = (await first('POST', '/auth/factors/enroll', { type: 'totp', totp_issuer: 'A', totp_user: 'a@example.com' })).body;
  const sms = (await first('POST', '/auth/factors/enroll', { type: 'sms', phone_number: '+16073517112' })).body;
  const challenge = (await first('POST', `/auth/factors/${sms.id}/challenge`, {})).body;
  const fault = (await first('POST', '/_mock/faults', { method: 'GET', path: '/nowhere', status: 500 })).body;
  const ids = [totp.id, sms.id, challenge.id, fault.id, totp.totp.secret];
  const page = await openPage(browser);
  await inspect(page, server.url, 'sk_test_ui_first', 'factors');
  assert.match(await page.locator('#factors').textContent(), new RegExp(totp.id), 'the first key sees its own');

  await page.getByLabel('API key').fill('sk_test_ui_second');
  await page.getByRole('button', { name: 'Open tenant' }).click();

  for (const view of ['factors', 'sms', 'journal', 'faults']) {
    await page.getByRole('tab', { name: { factors: 'Factors', sms: 'SMS outbox', journal: 'Journal', faults: 'Faults' }[view] }).click();
    await page.waitForSelector(`body[data-loaded="${view}"]`);
    const html = await page.content();
    for (const id of ids) assert.ok(!html.includes(id), `${view} shows ${id} of the first key`);
    assert.match(await page.locator(`#${view}`).textContent(), /^No /, `${view} is empty`);
  }
  assertClean(page);
});

test('every control is reachable with the keyboard, and the tabs follow the arrow keys', async () => {
  const call = tenant(server.url, 'sk_test_ui_keyboard');
  await call('POST', '/auth/factors/enroll', { type: 'generic_otp' });
  await call('POST', '/_mock/faults', { method: 'GET', path: '/nowhere', status: 500 });
  const page = await openPage(browser);
  await inspect(page, server.url, 'sk_test_ui_keyboard', 'factors');
  const focused = () => page.evaluate(() => {
    const node = document.activeElement;
    return node.id || `${node.tagName.toLowerCase()}:${node.textContent.trim().slice(0, 40)}`;
  });
  const tabUntil = async (wanted) => {
    const seen = [];
    for (let i = 0; i < 30; i += 1) {
      await page.keyboard.press('Tab');
      seen.push(await focused());
      if (seen.at(-1) === wanted) return seen;
    }
    assert.fail(`Tab never reached ${wanted}; it went through ${seen.join(', ')}`);
  };

  const path = await tabUntil('tab-factors');
  assert.deepEqual(path.slice(0, 3), ['key', 'button:Open tenant', 'forget']);
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(), 'tab-sms');
  assert.equal(await page.locator('#view-sms').isVisible(), true);
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('body[data-loaded="journal"]');
  await page.keyboard.press('Tab');
  assert.match(await focused(), /^summary:GET|^summary:POST/);
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#journal details').first().getAttribute('open'), '');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('End');
  assert.equal(await focused(), 'tab-faults');
  await page.waitForSelector('body[data-loaded="faults"]');
  await tabUntil('button:Remove');
  await page.keyboard.press('Enter');
  await waitForText(page, '#faults', (t) => t.startsWith('No faults'), 'the fault removed from the keyboard');
  assertClean(page);
});

test('at phone width every view fits the screen without sideways scrolling', async () => {
  const call = tenant(server.url, 'sk_test_ui_phone');
  const user = (await call('POST', '/user_management/users', { email: 'ada@example.com' })).body;
  await call('POST', `/user_management/users/${user.id}/auth_factors`, { type: 'totp', totp_issuer: 'Foo Corp', totp_user: 'ada@example.com' });
  const sms = (await call('POST', '/auth/factors/enroll', { type: 'sms', phone_number: '+16073517112' })).body;
  await call('POST', `/auth/factors/${sms.id}/challenge`, {});
  await call('POST', '/_mock/faults', { method: 'POST', path: '/auth/challenges/*/verify', status: 429, times: 3 });
  const page = await openPage(browser, { width: 390, height: 844 });

  for (const view of ['factors', 'sms', 'journal', 'clock', 'faults']) {
    await inspect(page, server.url, 'sk_test_ui_phone', view);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${view} is ${width} px wide`);
    await screenshot(page, `${view}-phone`);
  }
  assertClean(page);
});

test('the README screenshot: a user\'s TOTP factor and an SMS challenge', async () => {
  const call = tenant(server.url, 'sk_test_readme');
  await call('POST', '/_mock/clock', { freeze_at: '2026-01-15T12:00:07Z' });
  const user = (await call('POST', '/user_management/users', { email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' })).body;
  await call('POST', `/user_management/users/${user.id}/auth_factors`, { type: 'totp', totp_issuer: 'Foo Corp', totp_user: 'ada@example.com' });
  const sms = (await call('POST', '/auth/factors/enroll', { type: 'sms', phone_number: '+16073517112' })).body;
  await call('POST', `/auth/factors/${sms.id}/challenge`, {});
  const page = await openPage(browser, { width: 1000, height: 820 });

  await inspect(page, server.url, 'sk_test_readme', 'factors');
  await waitForText(page, 'output.code', (t) => /^\d{6}$/.test(t), 'a current code');

  await page.screenshot({ path: `${ARTIFACTS}/readme.png`, fullPage: true });
  assertClean(page);
});
