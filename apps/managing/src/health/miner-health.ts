/** closed: selectable; open: skipped until its backoff ends; half_open: one probe call decides. */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitRules {
  /** Consecutive failures that open a closed circuit. */
  failureThreshold: number;
  /** How long a circuit first stays open; doubled after each failed probe. */
  openMs: number;
  /** The longest it stays open. */
  maxOpenMs: number;
  /** A probe not reported within this time lets another one through. */
  probeTimeoutMs: number;
}

/** What the validator reported about one miner, and its circuit. */
export interface MinerHealthView {
  state: CircuitState;
  consecutiveFailures: number;
  /** When an open circuit lets a probe through (unix ms). */
  openUntil: number | undefined;
  successes: number;
  failures: number;
  /** Moving average of the latency of successful calls, ms. */
  latencyMs: number | undefined;
  lastReportAt: number | undefined;
}

interface Circuit {
  consecutiveFailures: number;
  /** Set while the circuit is open or half-open. */
  openUntil: number | undefined;
  /** Failed probes in a row since the circuit first opened: the backoff exponent. */
  opens: number;
  probeStartedAt: number | undefined;
  successes: number;
  failures: number;
  latencyMs: number | undefined;
  lastReportAt: number | undefined;
}

const LATENCY_SMOOTHING = 0.2;

/**
 * A circuit breaker per miner, fed by the validator's reports: `failureThreshold` consecutive failures open it for
 * `openMs`; when that ends one selection is let through as a probe (half-open); its success closes the circuit,
 * its failure opens it again for twice as long (up to `maxOpenMs`).
 */
export class MinerHealth {
  private readonly circuits = new Map<string, Circuit>();
  /** Miners whose circuit is open or half-open, so the common case (none) costs nothing. */
  private readonly notClosed = new Set<string>();

  constructor(
    private readonly rules: CircuitRules,
    private readonly clock: () => number = Date.now,
  ) {}

  /** True when some miner's circuit is open or half-open. */
  get anyNotClosed(): boolean {
    return this.notClosed.size > 0;
  }

  /** The circuit's state at `now`. */
  state(minerKey: string, now = this.clock()): CircuitState {
    const circuit = this.circuits.get(minerKey);
    if (circuit?.openUntil === undefined) return 'closed';
    return now < circuit.openUntil ? 'open' : 'half_open';
  }

  /** True when the miner may be selected now: closed, or half-open with no probe outstanding. */
  isSelectable(minerKey: string, now = this.clock()): boolean {
    const circuit = this.circuits.get(minerKey);
    if (circuit?.openUntil === undefined) return true;
    if (now < circuit.openUntil) return false;
    return circuit.probeStartedAt === undefined || now - circuit.probeStartedAt >= this.rules.probeTimeoutMs;
  }

  /** Notes that the miner was selected; for a half-open circuit that call is the probe. */
  selected(minerKey: string, now = this.clock()): void {
    const circuit = this.circuits.get(minerKey);
    if (circuit?.openUntil !== undefined && now >= circuit.openUntil) circuit.probeStartedAt = now;
  }

  /** Takes back `selected` when the selection did not go through (no quota left after all). */
  unselected(minerKey: string, now = this.clock()): void {
    const circuit = this.circuits.get(minerKey);
    if (circuit?.probeStartedAt === now) circuit.probeStartedAt = undefined;
  }

  /** Records the outcome of one call to the miner. */
  report(minerKey: string, ok: boolean, latencyMs: number, now = this.clock()): void {
    const circuit = this.circuits.get(minerKey) ?? this.newCircuit();
    this.circuits.set(minerKey, circuit);
    circuit.lastReportAt = now;
    const state = this.state(minerKey, now);
    if (ok) {
      circuit.successes += 1;
      circuit.latencyMs =
        circuit.latencyMs === undefined
          ? latencyMs
          : circuit.latencyMs + LATENCY_SMOOTHING * (latencyMs - circuit.latencyMs);
      // A success reported while the circuit is still open comes from a call made before it opened.
      if (state === 'open') return;
      circuit.consecutiveFailures = 0;
      circuit.openUntil = undefined;
      circuit.opens = 0;
      circuit.probeStartedAt = undefined;
      this.notClosed.delete(minerKey);
      return;
    }
    circuit.failures += 1;
    circuit.consecutiveFailures += 1;
    if (state === 'open') return;
    if (state === 'half_open') {
      circuit.opens += 1;
      this.open(minerKey, circuit, now);
      return;
    }
    if (circuit.consecutiveFailures >= this.rules.failureThreshold) {
      circuit.opens = 1;
      this.open(minerKey, circuit, now);
    }
  }

  /** What is known about the miner, for the API. */
  view(minerKey: string, now = this.clock()): MinerHealthView {
    const circuit = this.circuits.get(minerKey) ?? this.newCircuit();
    return {
      state: this.state(minerKey, now),
      consecutiveFailures: circuit.consecutiveFailures,
      openUntil: circuit.openUntil,
      successes: circuit.successes,
      failures: circuit.failures,
      latencyMs: circuit.latencyMs,
      lastReportAt: circuit.lastReportAt,
    };
  }

  /** Drops a miner that left the subnet or whose uid now belongs to another hotkey. */
  forget(minerKey: string): void {
    this.circuits.delete(minerKey);
    this.notClosed.delete(minerKey);
  }

  private open(minerKey: string, circuit: Circuit, now: number): void {
    const backoff = Math.min(this.rules.maxOpenMs, this.rules.openMs * 2 ** Math.max(0, circuit.opens - 1));
    circuit.openUntil = now + backoff;
    circuit.probeStartedAt = undefined;
    this.notClosed.add(minerKey);
  }

  private newCircuit(): Circuit {
    return {
      consecutiveFailures: 0,
      openUntil: undefined,
      opens: 0,
      probeStartedAt: undefined,
      successes: 0,
      failures: 0,
      latencyMs: undefined,
      lastReportAt: undefined,
    };
  }
}
