import { projectTestConfig } from '../../vitest.shared.ts';

// Linting through the ESLint API with type information takes a while on a cold TypeScript service.
export default projectTestConfig(import.meta.dirname, { testTimeoutMs: 120_000 });
