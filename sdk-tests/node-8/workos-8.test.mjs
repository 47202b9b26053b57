// The official Node SDK, @workos-inc/node 8.x, against mfa-mock. The steps are in
// ../support/node-suite.mjs; this file hands in the 8.x SDK, its test tools and its calls.
//
// 8.x is the style of the WorkOS documents: MFA calls in `workos.mfa`, and the AuthKit factor
// calls in `workos.userManagement` (`enrollAuthFactor`, `listAuthFactors`). Errors by status:
// 401 UnauthorizedException (the body is not read), 404 NotFoundException,
// 422 UnprocessableEntityException; each has `.status`, and the last two `.code`.

import { NotFoundException, UnauthorizedException, UnprocessableEntityException, WorkOS } from '@workos-inc/node';
import jsQR from 'jsqr';
import * as otplib from 'otplib';
import { PNG } from 'pngjs';

import { workosSuite } from '../support/node-suite.mjs';

workosSuite({
  sdk: { WorkOS, NotFoundException, UnauthorizedException, UnprocessableEntityException },
  major: 8,
  tools: { otplib, jsQR, PNG },
  api: {
    mfa: (workos) => workos.mfa,
    enrollAuthFactor: (workos, options) => workos.userManagement.enrollAuthFactor(options),
    listAuthFactors: (workos, options) => workos.userManagement.listAuthFactors(options),
  },
});
