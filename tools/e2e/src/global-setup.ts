import { buildApp } from '@vstack/testing';
import { pipelineApps } from './stack';

/** Builds every app the pipeline tests start, once before they run. */
export default function setup(): void {
  for (const name of pipelineApps) buildApp(name);
}
