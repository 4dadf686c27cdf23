import { buildApp } from '@vstack/testing';

/** Builds the apps the end-to-end tests spawn, once for all test files. */
export default function setup(): void {
  for (const name of ['devnet', 'demo-miner', 'miner-proxy']) buildApp(name);
}
