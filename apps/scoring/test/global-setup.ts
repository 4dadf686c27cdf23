import { buildApp } from '@vstack/testing';

/** Builds the apps the end-to-end test starts, once for all test files. */
export default function setup(): void {
  buildApp('demo-miner');
  buildApp('scoring');
}
