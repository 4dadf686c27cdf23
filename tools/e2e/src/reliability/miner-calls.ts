// What the validator saw of the miners during a fault: its `vstack_validator_miner_requests_total` counters by
// outcome (ok, invalid, timeout, http_error, ...), read from its /metrics before and after, so a report shows that
// a bad miner was asked and how its answers were taken.

const METRIC = 'vstack_validator_miner_requests_total';

/** Miner calls by outcome, summed over purposes and task types, from a Prometheus text exposition. */
export function minerCallsByOutcome(exposition: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${METRIC}{`)) continue;
    const outcome = /[{,]outcome="([^"]*)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (outcome === undefined || !Number.isFinite(value)) continue;
    totals[outcome] = (totals[outcome] ?? 0) + value;
  }
  return totals;
}

/**
 * The calls between two readings of one validator process, by outcome (those with none left out); undefined when
 * either reading is missing or a counter went down (its counters began again).
 */
export function minerCallsBetween(
  before: Record<string, number> | undefined,
  after: Record<string, number> | undefined,
): Record<string, number> | undefined {
  if (!before || !after) return undefined;
  const calls: Record<string, number> = {};
  for (const outcome of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const count = (after[outcome] ?? 0) - (before[outcome] ?? 0);
    if (count < 0) return undefined;
    if (count > 0) calls[outcome] = count;
  }
  return calls;
}

/** The validator's miner calls by outcome now; undefined when its /metrics does not answer (down, restarting). */
export async function readMinerCalls(
  port: number,
  token: string,
): Promise<Record<string, number> | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) return undefined;
    return minerCallsByOutcome(await response.text());
  } catch {
    return undefined;
  }
}
