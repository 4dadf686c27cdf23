import { mergeConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// The integration tests run against the real devnet (apps/devnet), built once before them.
export default mergeConfig(projectTestConfig(import.meta.dirname, { testTimeoutMs: 60_000 }), {
  test: { globalSetup: ['test/global-setup.ts'] },
});
