import { buildApp } from '@vstack/testing';

/** The apps the security tests run, built once before them. */
export const securityApps = [
  'devnet',
  'sidecar',
  'gateway',
  'validator',
  'demo-miner',
  'miner-proxy',
] as const;

export default function setup(): void {
  for (const name of securityApps) buildApp(name);
}
