import { join } from 'node:path';
import { mergeConfig } from 'vitest/config';
import { projectTestConfig } from '../../vitest.shared.ts';

export default mergeConfig(
  projectTestConfig(import.meta.dirname, { services: true, testTimeoutMs: 120_000 }),
  {
    test: { globalSetup: [join(import.meta.dirname, 'src/global-setup.ts')] },
  },
);
