import { buildApp } from '@vstack/testing';

/** The apps the pipeline test starts, built once before it runs. */
export const pipelineApps = [
  'devnet',
  'demo-miner',
  'miner-proxy',
  'sidecar',
  'managing',
  'scoring',
  'synthesizing',
  'validator',
] as const;

export default function setup(): void {
  for (const name of pipelineApps) buildApp(name);
}
