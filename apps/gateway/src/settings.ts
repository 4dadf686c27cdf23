import type { GatewayConfig } from '@vstack/config';
import { taskTypes } from '@vstack/protocol';

/** What the gateway's services need from the config, in the units they use. */
export interface GatewaySettings {
  /** Price of one task in credits, by task type name. */
  prices: Readonly<Record<string, number>>;
  defaultRateLimitPerMinute: number;
  rateLimitBurstSeconds: number;
  keyCacheMs: number;
  maxWaitMs: number;
  taskDeadlineMs: number;
  retentionMs: number;
  maintenanceIntervalMs: number;
  staleSubmissionMs: number;
  resultsConcurrency: number;
  adminToken: string | undefined;
  webhookSecret: string | undefined;
  webhookTimeoutMs: number;
}

/** The protocol's price of each task type, with the operator's GATEWAY_TASK_PRICES on top. */
export function taskPrices(overrides: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    taskTypes.all().map((taskType) => [taskType.name, overrides[taskType.name] ?? taskType.priceCredits]),
  );
}

/** The settings of a gateway from its validated config. */
export function gatewaySettings(config: GatewayConfig): GatewaySettings {
  return {
    prices: taskPrices(config.GATEWAY_TASK_PRICES),
    defaultRateLimitPerMinute: config.GATEWAY_DEFAULT_RATE_LIMIT_PER_MINUTE,
    rateLimitBurstSeconds: config.GATEWAY_RATE_LIMIT_BURST_SECONDS,
    keyCacheMs: config.GATEWAY_KEY_CACHE_MS,
    maxWaitMs: config.GATEWAY_MAX_WAIT_SECONDS * 1000,
    taskDeadlineMs: config.GATEWAY_TASK_DEADLINE_SECONDS * 1000,
    retentionMs: config.GATEWAY_TASK_RETENTION_HOURS * 3_600_000,
    maintenanceIntervalMs: config.GATEWAY_MAINTENANCE_INTERVAL_SECONDS * 1000,
    staleSubmissionMs: config.GATEWAY_STALE_SUBMISSION_SECONDS * 1000,
    resultsConcurrency: config.GATEWAY_RESULTS_CONCURRENCY,
    adminToken: config.GATEWAY_ADMIN_TOKEN,
    webhookSecret: config.GATEWAY_WEBHOOK_SECRET,
    webhookTimeoutMs: config.GATEWAY_WEBHOOK_TIMEOUT_MS,
  };
}
