// AuthKit password sign-in with MFA through the official Node SDK, @workos-inc/node 11.x.
//
// The whole flow as an app runs it: `authenticateWithPassword` rejects with an
// AuthenticationException (`.code` mfa_challenge or mfa_enrollment, `.pendingAuthenticationToken`,
// and `.rawData.user` / `.rawData.authentication_factors` still in snake_case); the app
// challenges (or enrolls) a factor and finishes with `authenticateWithTotp`, sealing the session;
// the SDK's own CookieSession then verifies the access token through GET /sso/jwks/:clientId
// (jose) and refreshes it. 11.x needs a clientId for every sign-in call.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { WorkOS } from '@workos-inc/node';
import jsQR from 'jsqr';
import * as otplib from 'otplib';
import { PNG } from 'pngjs';

import { mfaMock, rejectionOf } from '../support/mfa-mock.mjs';

const mock = await mfaMock({ otplib, jsQR, PNG });
const CLIENT_ID = 'client_01HZSIGNINTESTS0000000000';
const PASSWORD = 'correct horse battery staple';
const cookiePassword = randomBytes(32).toString('hex');

function newClient() {
  const apiKey = mock.newApiKey();
  return { apiKey, workos: new WorkOS(apiKey, { ...mock.sdkOptions(), clientId: CLIENT_ID }) };
}

const newUser = (workos, email = 'ada@example.com') =>
  workos.userManagement.createUser({ email, password: PASSWORD, emailVerified: true });

const enroll = (workos, userId) => workos.multiFactorAuth.createUserAuthFactor({ userId, type: 'totp' });

const signIn = (workos, email, password = PASSWORD) =>
  workos.userManagement.authenticateWithPassword({ email, password });

const step = (name, fn) => test(`@workos-inc/node 11 sign-in: ${name}`, fn);

step('password -> mfa_challenge -> challenge -> authenticateWithTotp -> CookieSession -> refresh', async () => {
  const { workos } = newClient();
  const user = await newUser(workos);
  const { authenticationFactor: factor } = await enroll(workos, user.id);

  const error = await rejectionOf(() => signIn(workos, user.email));
  assert.equal(error.name, 'AuthenticationException');
  assert.equal(error.status, 403);
  assert.equal(error.code, 'mfa_challenge');
  assert.equal(error.rawData.user.id, user.id);
  assert.deepEqual(error.rawData.authentication_factors, [{ id: factor.id, type: 'totp' }]);

  const challenge = await workos.multiFactorAuth.challengeFactor({
    authenticationFactorId: error.rawData.authentication_factors[0].id,
  });
  const signedIn = await workos.userManagement.authenticateWithTotp({
    code: mock.totpCode(factor.totp.secret),
    pendingAuthenticationToken: error.pendingAuthenticationToken,
    authenticationChallengeId: challenge.id,
    session: { sealSession: true, cookiePassword },
  });
  assert.equal(signedIn.user.id, user.id);
  assert.equal(signedIn.authenticationMethod, 'Password');
  assert.ok(signedIn.user.lastSignInAt);

  const verified = await workos.userManagement.authenticateWithSessionCookie({
    sessionData: signedIn.sealedSession,
    cookiePassword,
  });
  assert.equal(verified.authenticated, true, verified.reason);
  assert.match(verified.sessionId, /^session_/);

  const session = workos.userManagement.loadSealedSession({ sessionData: signedIn.sealedSession, cookiePassword });
  assert.equal((await session.authenticate()).authenticated, true);
  const refreshed = await session.refresh();
  assert.equal(refreshed.authenticated, true, refreshed.reason);
  assert.equal(refreshed.sessionId, verified.sessionId);
  const again = await workos.userManagement
    .loadSealedSession({ sessionData: refreshed.sealedSession, cookiePassword })
    .authenticate();
  assert.equal(again.authenticated, true, again.reason);
});

step('password -> mfa_enrollment (MFA required) -> enroll -> authenticateWithTotp', async () => {
  const { apiKey, workos } = newClient();
  await mock.requireMfa(apiKey);
  const user = await newUser(workos);

  const error = await rejectionOf(() => signIn(workos, user.email));
  assert.equal(error.code, 'mfa_enrollment');
  assert.equal(error.status, 403);
  assert.equal(error.rawData.user.id, user.id);

  const { authenticationFactor, authenticationChallenge } = await enroll(workos, error.rawData.user.id);
  const signedIn = await workos.userManagement.authenticateWithTotp({
    code: mock.totpCode(authenticationFactor.totp.secret),
    pendingAuthenticationToken: error.pendingAuthenticationToken,
    authenticationChallengeId: authenticationChallenge.id,
  });
  assert.equal(signedIn.user.id, user.id);

  const next = await rejectionOf(() => signIn(workos, user.email));
  assert.equal(next.code, 'mfa_challenge');
});

step('errors: invalid_credentials, invalid_one_time_code, used pending token, used refresh token', async () => {
  const { workos } = newClient();
  const user = await newUser(workos);
  for (const [email, password] of [
    [user.email, 'wrong'],
    ['nobody@example.com', PASSWORD],
  ]) {
    const error = await rejectionOf(() => signIn(workos, email, password));
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_credentials');
  }

  const { authenticationFactor: factor } = await enroll(workos, user.id);
  const { pendingAuthenticationToken } = await rejectionOf(() => signIn(workos, user.email));
  const challenge = await workos.multiFactorAuth.challengeFactor({ authenticationFactorId: factor.id });
  const totp = (code) =>
    workos.userManagement.authenticateWithTotp({
      code,
      pendingAuthenticationToken,
      authenticationChallengeId: challenge.id,
    });
  const wrong = await rejectionOf(() => totp(mock.wrongTotpCode(factor.totp.secret)));
  assert.equal(wrong.status, 400);
  assert.equal(wrong.code, 'invalid_one_time_code');
  const signedIn = await totp(mock.totpCode(factor.totp.secret));
  const used = await rejectionOf(() => totp(mock.totpCode(factor.totp.secret)));
  assert.equal(used.code, 'invalid_pending_authentication_token');

  await workos.userManagement.authenticateWithRefreshToken({ refreshToken: signedIn.refreshToken });
  const reused = await rejectionOf(() =>
    workos.userManagement.authenticateWithRefreshToken({ refreshToken: signedIn.refreshToken }),
  );
  assert.equal(reused.name, 'OauthException');
  assert.equal(reused.error, 'invalid_grant');
});

step('updateUser, listUsers by email, deleteUser', async () => {
  const { workos } = newClient();
  const user = await newUser(workos, 'grace@example.com');
  const updated = await workos.userManagement.updateUser({ userId: user.id, firstName: 'Grace', password: 'new one' });
  assert.equal(updated.firstName, 'Grace');
  await signIn(workos, user.email, 'new one');
  const listed = await workos.userManagement.listUsers({ email: user.email });
  assert.deepEqual(
    listed.data.map((u) => u.id),
    [user.id],
  );
  await workos.userManagement.deleteUser(user.id);
});
