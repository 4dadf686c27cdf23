import { mergeConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// The end-to-end tests spawn the built devnet, demo miner and proxy, built once before them.
export default mergeConfig(
  projectTestConfig(import.meta.dirname, { services: true, testTimeoutMs: 60_000 }),
  {
    test: { globalSetup: ['test/global-setup.ts'] },
  },
);
