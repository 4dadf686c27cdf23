import { mergeConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

// The process tests (test/*.e2e.spec.ts) run the built gateway, built once before them.
export default mergeConfig(projectTestConfig(import.meta.dirname, { services: true }), {
  test: { globalSetup: ['test/global-setup.ts'] },
});
