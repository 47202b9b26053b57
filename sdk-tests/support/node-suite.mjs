// Every step of a Node SDK suite, written once. Each version's test file hands in what
// differs between SDK versions and what Node can only resolve from that suite's own folder:
//
//   workosSuite({
//     sdk: { WorkOS, NotFoundException, UnauthorizedException, UnprocessableEntityException },
//     major: 11,                    // the SDK major this adapter is written for
//     tools: { otplib, jsQR, PNG }, // the suite's own pinned test tools (see mfa-mock.mjs)
//     api: {                        // the calls whose place differs between versions
//       mfa: (workos) => workos.multiFactorAuth,
//       enrollAuthFactor: (workos, options) => workos.multiFactorAuth.createUserAuthFactor(options),
//       listAuthFactors: (workos, options) => workos.multiFactorAuth.listUserAuthFactors(options),
//     },
//   });
//
// Every test is named `@workos-inc/node <version>: <step>`, the version as the SDK reports it,
// so a failure names both.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, test } from 'node:test';

import { KNOWN_TOTP_SECRET, SOME_FACTOR_ID, mfaMock, rejectionOf } from './mfa-mock.mjs';

export function workosSuite({ sdk, major, tools, api }) {
  const { WorkOS, NotFoundException, UnauthorizedException, UnprocessableEntityException } = sdk;
  const mock = mfaMock(tools);
  const apiKey = mock.newApiKey();
  const workos = new WorkOS(apiKey, mock.sdkOptions());
  if (!workos.version.startsWith(`${major}.`)) {
    throw new Error(`this suite's adapter is for @workos-inc/node ${major}.x, but ${workos.version} is installed`);
  }
  const mfa = api.mfa(workos);

  const newUser = () =>
    workos.userManagement.createUser({
      email: `sdk-${randomBytes(4).toString('hex')}@example.com`,
      firstName: 'Alan',
      lastName: 'Turing',
    });

  const step = (name, fn) => test(`@workos-inc/node ${workos.version}: ${name}`, fn);

  let totpFactor;
  before(async () => {
    totpFactor = await mfa.enrollFactor({ type: 'totp', issuer: 'Foo Corp', user: 'alan.turing@example.com' });
  });

  step('enroll TOTP and decode its QR code', () => {
    assert.match(totpFactor.id, /^auth_factor_/);
    assert.equal(totpFactor.type, 'totp');
    assert.equal(totpFactor.totp.issuer, 'Foo Corp');
    assert.equal(totpFactor.totp.user, 'alan.turing@example.com');
    assert.match(totpFactor.totp.uri, /^otpauth:\/\/totp\//);
    assert.ok(totpFactor.totp.uri.includes(`secret=${totpFactor.totp.secret}`), totpFactor.totp.uri);
    assert.equal(mock.decodeQrCode(totpFactor.totp.qrCode), totpFactor.totp.uri);
  });

  step('challenge the TOTP factor', async () => {
    const challenge = await mfa.challengeFactor({ authenticationFactorId: totpFactor.id });
    assert.match(challenge.id, /^auth_challenge_/);
    assert.equal(challenge.authenticationFactorId, totpFactor.id);
    // A TOTP challenge neither expires nor carries a code.
    assert.equal(challenge.expiresAt, undefined);
    assert.equal(challenge.code, undefined);
  });

  // A fresh challenge on the TOTP factor, verified with `code`: what the SDK returned.
  const verifyFreshChallenge = async (code) => {
    const challenge = await mfa.challengeFactor({ authenticationFactorId: totpFactor.id });
    const result = await mfa.verifyChallenge({ authenticationChallengeId: challenge.id, code });
    return { challenge, result };
  };

  step('verify with an otplib code: valid', async () => {
    const { challenge, result } = await verifyFreshChallenge(mock.totpCode(totpFactor.totp.secret));
    assert.equal(result.valid, true);
    assert.equal(result.challenge.id, challenge.id);
  });

  step('verify again: authentication_challenge_previously_verified', async () => {
    const code = mock.totpCode(totpFactor.totp.secret);
    const { challenge, result } = await verifyFreshChallenge(code);
    assert.equal(result.valid, true);
    const error = await rejectionOf(() => mfa.verifyChallenge({ authenticationChallengeId: challenge.id, code }));
    assert.ok(error instanceof UnprocessableEntityException, error);
    assert.equal(error.status, 422);
    assert.equal(error.code, 'authentication_challenge_previously_verified');
  });

  step('a wrong code on a fresh challenge: valid false', async () => {
    const { challenge, result } = await verifyFreshChallenge(mock.wrongTotpCode(totpFactor.totp.secret));
    assert.equal(result.valid, false);
    assert.equal(result.challenge.id, challenge.id);
  });

  step('get the factor', async () => {
    const factor = await mfa.getFactor(totpFactor.id);
    assert.equal(factor.id, totpFactor.id);
    assert.equal(factor.type, 'totp');
    assert.equal(factor.createdAt, totpFactor.createdAt);
    assert.deepEqual(factor.totp, { issuer: 'Foo Corp', user: 'alan.turing@example.com' });
  });

  step('delete a factor, then get it: not found', async () => {
    const factor = await mfa.enrollFactor({ type: 'totp', issuer: 'Foo Corp', user: 'deleted@example.com' });
    assert.equal(await mfa.deleteFactor(factor.id), undefined);
    const error = await rejectionOf(() => mfa.getFactor(factor.id));
    assert.ok(error instanceof NotFoundException, error);
    assert.equal(error.status, 404);
    assert.equal(error.code, 'entity_not_found');
  });

  step('SMS: enroll, challenge, the code from the outbox verifies', async () => {
    const factor = await mfa.enrollFactor({ type: 'sms', phoneNumber: '+15005550006' });
    assert.equal(factor.type, 'sms');
    assert.equal(factor.sms.phoneNumber, '+15005550006');
    const challenge = await mfa.challengeFactor({
      authenticationFactorId: factor.id,
      smsTemplate: 'Your Foo Corp code is {{code}}',
    });
    assert.equal(challenge.authenticationFactorId, factor.id);
    assert.ok(challenge.expiresAt, 'an SMS challenge expires');
    assert.equal(challenge.code, undefined, 'an SMS code goes to the phone, not to the caller');

    const sms = await mock.smsSentForChallenge(apiKey, challenge.id);
    assert.equal(sms.phone_number, '+15005550006');
    assert.equal(sms.authentication_factor_id, factor.id);
    assert.equal(sms.text, `Your Foo Corp code is ${sms.code}`);

    const result = await mfa.verifyChallenge({ authenticationChallengeId: challenge.id, code: sms.code });
    assert.equal(result.valid, true);
  });

  step('AuthKit: create a user, enroll with a known totpSecret, verify its challenge', async () => {
    const user = await newUser();
    assert.match(user.id, /^user_/);

    const { authenticationFactor: factor, authenticationChallenge: challenge } = await api.enrollAuthFactor(workos, {
      userId: user.id,
      type: 'totp',
      totpIssuer: 'Foo Corp',
      totpUser: user.email,
      totpSecret: KNOWN_TOTP_SECRET,
    });
    assert.equal(factor.userId, user.id);
    assert.equal(factor.totp.secret, KNOWN_TOTP_SECRET);
    assert.equal(mock.decodeQrCode(factor.totp.qrCode), factor.totp.uri);
    assert.ok(factor.totp.uri.includes(`secret=${KNOWN_TOTP_SECRET}`), factor.totp.uri);
    assert.equal(challenge.authenticationFactorId, factor.id);

    const result = await mfa.verifyChallenge({
      authenticationChallengeId: challenge.id,
      code: mock.totpCode(KNOWN_TOTP_SECRET),
    });
    assert.equal(result.valid, true);
  });

  step("list a user's factors with paging", async () => {
    const user = await newUser();
    const enrolled = [];
    for (let i = 0; i < 3; i++) {
      const { authenticationFactor } = await api.enrollAuthFactor(workos, { userId: user.id, type: 'totp' });
      enrolled.push(authenticationFactor.id);
    }
    const newestFirst = enrolled.toReversed();

    const first = await api.listAuthFactors(workos, { userId: user.id, limit: 1 });
    const seen = first.data.map((f) => f.id);
    let page = first;
    while (page.listMetadata.after && seen.length <= enrolled.length) {
      page = await api.listAuthFactors(workos, { userId: user.id, limit: 1, after: page.listMetadata.after });
      seen.push(...page.data.map((f) => f.id));
    }
    assert.deepEqual(seen, newestFirst);
    assert.equal(first.data[0].userId, user.id);

    // autoPagination() returns only the first page when a limit was given; without one it
    // fetches pages of 100, following `after`: here a single page.
    const all = await (await api.listAuthFactors(workos, { userId: user.id })).autoPagination();
    assert.deepEqual(all.map((f) => f.id), newestFirst);
  });

  step('a bad API key: authentication error', async () => {
    const badClient = new WorkOS('not_a_workos_key', mock.sdkOptions());
    const error = await rejectionOf(() => api.mfa(badClient).getFactor(SOME_FACTOR_ID));
    assert.ok(error instanceof UnauthorizedException, error);
    assert.equal(error.status, 401);
  });
}
