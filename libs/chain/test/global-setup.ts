import { buildDevnet } from './devnet';

/** Builds the devnet once for all integration test files. */
export default function setup(): void {
  buildDevnet();
}
