import { mergeConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// The end-to-end test runs the built scoring app and demo miners, built once before the tests.
export default mergeConfig(
  projectTestConfig(import.meta.dirname, { services: true, testTimeoutMs: 60_000 }),
  {
    test: { globalSetup: ['test/global-setup.ts'] },
  },
);
