import { buildApp, buildDevnet } from '@vstack/testing';

/** Builds the devnet and the sidecar once for all integration test files. */
export default function setup(): void {
  buildDevnet();
  buildApp('sidecar');
}
