/**
 * The HTTP contract tables of test/unit/api/contract (recorded from Cinder 21) run against the real
 * routes, VolumeAPI and a SQLite database instead of the in-memory contract app.
 */
import { drops } from './real-contract-app';
import type * as RealContractApp from './real-contract-app';

jest.mock('../api/contract/contract-app', () => {
  const actual = jest.requireActual<Record<string, unknown>>('../api/contract/contract-app');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { realContractApp } = require('./real-contract-app') as typeof RealContractApp;
  return { ...actual, contractApp: realContractApp };
});

afterAll(async () => {
  for (const drop of drops) await drop();
});

// valid-requests.test.ts is left out: several of its cases assert the fake's echo bodies (`{"update": …}`,
// `{"newSize": 3}`), fixed ids and a data set no earlier test changes, which a real backend cannot give.
/* eslint-disable @typescript-eslint/no-require-imports */
require('../api/contract/create-volume-errors.test');
require('../api/contract/auth-microversion.test');
