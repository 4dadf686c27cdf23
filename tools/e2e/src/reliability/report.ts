import type { WindowSummary } from './analysis';
import type { RunReport } from './run';

// A run's report as Markdown, the way RELIABILITY.md shows it.

const seconds = (ms: number | undefined) =>
  ms === undefined || Number.isNaN(ms) ? '–' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .sort(([, a], [, b]) => b - a)
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ') || '–';

function windowRow(
  name: string,
  window: WindowSummary,
  recovery: string,
  minerCalls: Record<string, number> | undefined,
): string {
  return `| ${name} | ${window.submitted} | ${counts(window.statuses)} | ${seconds(window.submitP99Ms)} | ${counts(
    window.final,
  )} | ${seconds(window.endToEndP50Ms)} / ${seconds(window.endToEndP99Ms)} | ${recovery} | ${
    minerCalls === undefined ? '–' : counts(minerCalls)
  } |`;
}

export function formatReport(report: RunReport): string {
  const lost = report.gateway.missing + report.gateway.unfinished;
  const lines = [
    `Offered ${report.rate} tasks/s for ${seconds(report.durationMs)}: ${report.whole.submitted} submitted, ` +
      `${report.accepted} accepted (202).` +
      (report.faults.length === 0
        ? ''
        : ` Recovery: from the fault to the first 5 s in which every submission was accepted and completed with an ` +
          `end-to-end p90 within ${seconds(report.healthyWithinMs)} (3x the baseline's, at least 1 s).`),
    '',
    "| Stretch | Submitted | HTTP answers (0 = none) | Submit p99 | Tasks | End to end p50 / p99 | Recovery | Validator's miner calls |",
    '| --- | ---: | --- | ---: | --- | ---: | ---: | --- |',
    windowRow('baseline', report.baseline, '–', report.baselineMinerCalls),
    ...report.faults.map((fault) =>
      windowRow(
        fault.name,
        fault.window,
        fault.recoveryMs === undefined ? 'not within its window' : seconds(fault.recoveryMs),
        fault.minerCalls,
      ),
    ),
    windowRow('whole run', report.whole, '–', undefined),
    '',
    `Refusals and unanswered submissions: ${counts(report.whole.errors)}.`,
    '',
    `Records: ${lost === 0 ? 'no accepted task lost' : `${lost} accepted tasks lost`} ` +
      `(${report.gateway.missing} missing, ${report.gateway.unfinished} unfinished); final states ` +
      `${counts(report.gateway.byStatus)}; failures ${counts(report.gateway.failures)}. Ledger: ` +
      `${report.gateway.openHolds} holds without release, ${report.gateway.wrongDebits} tasks with a wrong debit, ` +
      `${report.gateway.unbalancedKeys} keys whose balance is not their ledger's sum. Tasks kept whose submission ` +
      `got no answer (cut off by a crash after the commit): ${report.unacknowledged}.`,
    `Weights: landed in ${report.weights.epochsWithWeights} epochs, ${report.weights.epochsSetTwice} epochs set twice; ` +
      `jobs ${counts(report.weights.byState)}. On chain (${report.chainWeights.blocks} blocks read): ` +
      `${report.chainWeights.succeeded} weights set, ${report.chainWeights.epochsSetTwice} epochs with two, ` +
      `${report.chainWeights.failedExtrinsics} failed extrinsics.`,
    '',
    '| Process | RSS start | RSS end | CPU |',
    '| --- | ---: | ---: | ---: |',
    ...report.processes.map(
      (use) =>
        `| ${use.name} | ${megabytes(use.rssStartBytes)} | ${megabytes(use.rssEndBytes)} | ${
          use.restarted ? 'restarted' : `${use.cpuSeconds.toFixed(1)} s`
        } |`,
    ),
  ];
  lines.push('', `Load average (1 min) when the load stopped: ${report.loadAverage.toFixed(1)}.`);
  if (!Number.isNaN(report.cpuMsPerTask)) {
    lines.push('', `CPU of the whole stack per completed task: ${report.cpuMsPerTask.toFixed(2)} ms.`);
  }
  return lines.join('\n');
}
