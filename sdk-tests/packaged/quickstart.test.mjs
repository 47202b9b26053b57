// What a Node user of the npm package writes: startMfaMock() and the official SDK, nothing
// else. run-packaged.sh runs it with the tarballs packaging/build.sh made, and no Rust.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { WorkOS } from '@workos-inc/node';
import { startMfaMock } from 'mfa-mock';

let server;
before(async () => {
  server = await startMfaMock();
});
after(() => server.stop());

test('an SMS factor verifies with the code from the outbox', async () => {
  const tenant = server.tenant();
  const workos = new WorkOS(tenant.apiKey, tenant.workosOptions);
  const factor = await workos.multiFactorAuth.enrollFactor({ type: 'sms', phoneNumber: '+15005550006' });
  const challenge = await workos.multiFactorAuth.challengeFactor({ authenticationFactorId: factor.id });
  const code = await tenant.smsCode(challenge.id);
  const result = await workos.multiFactorAuth.verifyChallenge({ authenticationChallengeId: challenge.id, code });
  assert.equal(result.valid, true);
});

test('a challenge expires when the tenant clock moves past its ten minutes', async () => {
  const tenant = server.tenant();
  const workos = new WorkOS(tenant.apiKey, tenant.workosOptions);
  const factor = await workos.multiFactorAuth.enrollFactor({ type: 'sms', phoneNumber: '+15005550006' });
  const challenge = await workos.multiFactorAuth.challengeFactor({ authenticationFactorId: factor.id });
  const code = await tenant.smsCode(challenge.id);
  await tenant.advanceClock(601);
  await assert.rejects(workos.multiFactorAuth.verifyChallenge({ authenticationChallengeId: challenge.id, code }), (error) => {
    assert.equal(error.code, 'authentication_challenge_expired');
    return true;
  });
});

test('stop() ends the server process', async () => {
  const own = await startMfaMock();
  assert.equal((await fetch(`${own.url}/health`)).status, 200);
  await own.stop();
  assert.throws(() => process.kill(own.pid, 0), { code: 'ESRCH' });
});
