// The official Node SDK, @workos-inc/node 11.x, against mfa-mock. The steps are in
// ../support/node-suite.mjs; this file hands in the 11.x SDK, its test tools and its calls.
//
// In 11.x every MFA call lives in `workos.multiFactorAuth`, the AuthKit ones included
// (`createUserAuthFactor`, `listUserAuthFactors`): `userManagement.enrollAuthFactor` and
// `listAuthFactors` are gone. Errors by status: 401 UnauthorizedException (the body is not
// read), 404 NotFoundException, 422 UnprocessableEntityException; each has `.status`, and the
// last two `.code`.

import { NotFoundException, UnauthorizedException, UnprocessableEntityException, WorkOS } from '@workos-inc/node';
import jsQR from 'jsqr';
import * as otplib from 'otplib';
import { PNG } from 'pngjs';

import { workosSuite } from '../support/node-suite.mjs';

workosSuite({
  sdk: { WorkOS, NotFoundException, UnauthorizedException, UnprocessableEntityException },
  major: 11,
  tools: { otplib, jsQR, PNG },
  api: {
    mfa: (workos) => workos.multiFactorAuth,
    enrollAuthFactor: (workos, options) => workos.multiFactorAuth.createUserAuthFactor(options),
    listAuthFactors: (workos, options) => workos.multiFactorAuth.listUserAuthFactors(options),
  },
});
