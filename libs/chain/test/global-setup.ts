import { buildDevnet } from '@vstack/testing';

/** Builds the devnet once for all integration test files. */
export default function setup(): void {
  buildDevnet();
}
