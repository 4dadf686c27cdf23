import { mergeConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// Integration tests (test/) run the built sidecar against the real devnet; both are built once before them.
export default mergeConfig(
  projectTestConfig(import.meta.dirname, { services: true, testTimeoutMs: 60_000 }),
  {
    test: { globalSetup: ['test/global-setup.ts'] },
  },
);
