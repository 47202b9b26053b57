// The ES module face of index.cjs: one implementation, so one set of running servers.
import mfaMock from './index.cjs';

export const { startMfaMock, binaryPath } = mfaMock;
export default mfaMock;
