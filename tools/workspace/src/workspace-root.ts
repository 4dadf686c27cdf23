import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root (this file lives in tools/workspace/src). */
export const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** An absolute path inside the monorepo. */
export function workspacePath(...segments: string[]): string {
  return resolve(workspaceRoot, ...segments);
}
