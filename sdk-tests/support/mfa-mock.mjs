// What every Node SDK suite needs besides the SDK under test: the server, a fresh API key,
// TOTP codes from otplib (an implementation independent of the server's), a QR decoder
// (jsQR on pngjs), the SMS outbox of the control plane, and a way to catch an SDK error.
//
// Node resolves packages from the importing file's folder, so this module cannot import the
// suite's pinned otplib, jsqr and pngjs itself: each suite hands them in.
//
//   import * as otplib from 'otplib';
//   import jsQR from 'jsqr';
//   import { PNG } from 'pngjs';
//   const mock = mfaMock({ otplib, jsQR, PNG });

import { randomBytes, randomInt } from 'node:crypto';

// The documents' example secret. It is 80 bits: shorter than otplib's default minimum.
export const KNOWN_TOTP_SECRET = 'JBSWY3DPEHPK3PXP';

// A well-formed factor id that no tenant has.
export const SOME_FACTOR_ID = 'auth_factor_01HZZZZZZZZZZZZZZZZZZZZZZZ';

export function mfaMock({ otplib, jsQR, PNG }) {
  if (!process.env.MFA_MOCK_URL) throw new Error('MFA_MOCK_URL is not set: run the suites with sdk-tests/run.sh');
  const url = new URL(process.env.MFA_MOCK_URL);

  // otplib refuses secrets under 16 bytes by default; the documents' example has 10.
  const guardrails = otplib.createGuardrails({ MIN_SECRET_BYTES: 10 });
  const totpCodeAt = (secret, epoch) => otplib.generateSync({ secret, epoch, guardrails });

  return {
    url,

    // The Node SDK has no base URL option: a host name, a port, and https off.
    sdkOptions: () => ({ apiHostname: url.hostname, port: Number(url.port), https: url.protocol === 'https:' }),

    // A key of its own for each suite run: each key is a separate tenant on the server.
    newApiKey: () => `sk_test_sdk_${randomBytes(8).toString('hex')}`,

    // The current RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 secret.
    totpCode: (secret) => totpCodeAt(secret, Math.floor(Date.now() / 1000)),

    // A 6-digit code that differs from the codes of the five 30 s steps around now.
    wrongTotpCode(secret) {
      const now = Math.floor(Date.now() / 1000);
      const near = new Set([-2, -1, 0, 1, 2].map((step) => totpCodeAt(secret, now + step * 30)));
      for (;;) {
        const code = String(randomInt(1_000_000)).padStart(6, '0');
        if (!near.has(code)) return code;
      }
    },

    // The text of the single QR code in a `data:image/png;base64,...` URL.
    decodeQrCode(dataUrl) {
      const prefix = 'data:image/png;base64,';
      if (!dataUrl.startsWith(prefix)) throw new Error(`qrCode is not a PNG data URL: ${dataUrl.slice(0, 40)}`);
      const png = PNG.sync.read(Buffer.from(dataUrl.slice(prefix.length), 'base64'));
      const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
      if (!found) throw new Error('no QR code found in the PNG');
      return found.data;
    },

    // Turns the tenant's MFA requirement on for sign-in (the control plane; no SDK has it).
    async requireMfa(apiKey) {
      const response = await fetch(new URL('/_mock/settings', url), {
        method: 'POST',
        headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ mfa_required: true }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`POST /_mock/settings answered ${response.status}: ${text}`);
      if (JSON.parse(text).mfa_required !== true) throw new Error(`MFA is not required after ${text}`);
    },

    // The message the server "sent" for an SMS challenge, read from its outbox. Plain HTTP:
    // the outbox is mfa-mock's control plane, which no SDK knows about.
    async smsSentForChallenge(apiKey, challengeId) {
      const outbox = new URL('/_mock/sms', url);
      outbox.searchParams.set('authentication_challenge_id', challengeId);
      const response = await fetch(outbox, { headers: { Authorization: `Bearer ${apiKey}` } });
      const text = await response.text();
      if (!response.ok) throw new Error(`GET /_mock/sms answered ${response.status}: ${text}`);
      const messages = JSON.parse(text).data.filter((m) => m.authentication_challenge_id === challengeId);
      if (messages.length !== 1) throw new Error(`expected one message for ${challengeId} in the outbox, got ${text}`);
      return messages[0];
    },
  };
}

// The error a call rejects with; fails if it resolves.
export async function rejectionOf(call) {
  let value;
  try {
    value = await call();
  } catch (error) {
    return error;
  }
  throw new Error(`expected the call to fail, it returned ${JSON.stringify(value)}`);
}
