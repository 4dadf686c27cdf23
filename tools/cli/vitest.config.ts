import { projectTestConfig } from '../../vitest.shared.ts';

export default projectTestConfig(import.meta.dirname, { testTimeoutMs: 60_000 });
