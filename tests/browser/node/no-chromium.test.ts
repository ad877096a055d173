// Runs in Node as the 'browser' project when there is no Chromium to run the browser suites in
// (vitest.config.ts): under CI=true that is a failure; elsewhere the suites are skipped, saying why.
import { describe, it } from 'vitest';
import { IN_CI } from '../chromium.js';

const reason = process.env.HUBEL_NO_CHROMIUM ?? 'no Chromium';

if (IN_CI) {
  it('Chromium is installed (CI=true: the browser suites must run)', () => {
    throw new Error(`CI=true and ${reason}: .ci/run installs it with apt-get install -y chromium`);
  });
} else {
  console.warn(`[browser] browser suites skipped: ${reason}`);
  describe.skip(`browser suites skipped: ${reason}`, () => {
    it('runs tests/browser/*.test.ts in Chromium', () => undefined);
  });
}
