// The official Node SDK, @workos-inc/node 8.x, against mfa-mock.
//
// 8.x is the style of the WorkOS documents: MFA calls in `workos.mfa`, and the AuthKit factor
// calls in `workos.userManagement` (`enrollAuthFactor`, `listAuthFactors`). Errors by status:
// 401 UnauthorizedException (the body is not read), 404 NotFoundException,
// 422 UnprocessableEntityException; each has `.status`, and the last two `.code`.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, test } from 'node:test';

import { NotFoundException, UnauthorizedException, UnprocessableEntityException, WorkOS } from '@workos-inc/node';
import jsQR from 'jsqr';
import * as otplib from 'otplib';
import { PNG } from 'pngjs';

import { KNOWN_TOTP_SECRET, SOME_FACTOR_ID, mfaMock, rejectionOf } from '../support/mfa-mock.mjs';

const mock = mfaMock({ otplib, jsQR, PNG });
const apiKey = mock.newApiKey();
const workos = new WorkOS(apiKey, mock.sdkOptions());
const mfa = workos.mfa;
const userManagement = workos.userManagement;

const newUser = () =>
  userManagement.createUser({
    email: `sdk-${randomBytes(4).toString('hex')}@example.com`,
    firstName: 'Alan',
    lastName: 'Turing',
  });

// Every step's name starts with the SDK and its version, so a failure names both.
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

step('verify with an otplib code: valid', async () => {
  const challenge = await mfa.challengeFactor({ authenticationFactorId: totpFactor.id });
  const result = await mfa.verifyChallenge({
    authenticationChallengeId: challenge.id,
    code: mock.totpCode(totpFactor.totp.secret),
  });
  assert.equal(result.valid, true);
  assert.equal(result.challenge.id, challenge.id);
});

step('verify again: authentication_challenge_previously_verified', async () => {
  const challenge = await mfa.challengeFactor({ authenticationFactorId: totpFactor.id });
  const verify = { authenticationChallengeId: challenge.id, code: mock.totpCode(totpFactor.totp.secret) };
  assert.equal((await mfa.verifyChallenge(verify)).valid, true);
  const error = await rejectionOf(() => mfa.verifyChallenge(verify));
  assert.ok(error instanceof UnprocessableEntityException, error);
  assert.equal(error.status, 422);
  assert.equal(error.code, 'authentication_challenge_previously_verified');
});

step('a wrong code on a fresh challenge: valid false', async () => {
  const challenge = await mfa.challengeFactor({ authenticationFactorId: totpFactor.id });
  const result = await mfa.verifyChallenge({
    authenticationChallengeId: challenge.id,
    code: mock.wrongTotpCode(totpFactor.totp.secret),
  });
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

  const { authenticationFactor: factor, authenticationChallenge: challenge } = await userManagement.enrollAuthFactor({
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
    const { authenticationFactor } = await userManagement.enrollAuthFactor({ userId: user.id, type: 'totp' });
    enrolled.push(authenticationFactor.id);
  }
  const newestFirst = enrolled.toReversed();

  const first = await userManagement.listAuthFactors({ userId: user.id, limit: 1 });
  const seen = first.data.map((f) => f.id);
  let page = first;
  while (page.listMetadata.after && seen.length <= enrolled.length) {
    page = await userManagement.listAuthFactors({ userId: user.id, limit: 1, after: page.listMetadata.after });
    seen.push(...page.data.map((f) => f.id));
  }
  assert.deepEqual(seen, newestFirst);
  assert.equal(first.data[0].userId, user.id);

  // autoPagination() returns only the first page when a limit was given; without one it
  // fetches pages of 100, following `after`: here a single page.
  const all = await (await userManagement.listAuthFactors({ userId: user.id })).autoPagination();
  assert.deepEqual(all.map((f) => f.id), newestFirst);
});

step('a bad API key: authentication error', async () => {
  const badClient = new WorkOS('not_a_workos_key', mock.sdkOptions());
  const error = await rejectionOf(() => badClient.mfa.getFactor(SOME_FACTOR_ID));
  assert.ok(error instanceof UnauthorizedException, error);
  assert.equal(error.status, 401);
});
