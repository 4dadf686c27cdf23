/**
 * Every metric the stack exports, named once. Dashboards and alerts query these names: treat them as stored
 * data and never rename one.
 */
export const MetricName = {
  httpRequestsTotal: 'vstack_http_requests_total',
  httpRequestDurationSeconds: 'vstack_http_request_duration_seconds',
  httpRequestsInProgress: 'vstack_http_requests_in_progress',

  // sidecar (chain access and weights)
  /** Histogram; labels operation (metagraph, head, hyperparameters, set_weights, commit_weights, reveal_weights), status (ok, error). */
  chainOperationDurationSeconds: 'vstack_chain_operation_duration_seconds',
  /** Counter; label reason (cutoff, unknown_block, discarded_state). */
  chainArchiveFallbacksTotal: 'vstack_chain_archive_fallbacks_total',
  /** Gauge; label netuid: blocks between the chain head and the newest cached metagraph. */
  sidecarCacheAgeBlocks: 'vstack_sidecar_cache_age_blocks',
  /** Counter; labels netuid, level (soft, hard): reads answered with a staleness warning or refused. */
  sidecarStaleReadsTotal: 'vstack_sidecar_stale_reads_total',
  /** Histogram; label outcome (succeeded, expired, cancelled, failed): from scheduled to final state. */
  weightsJobDurationSeconds: 'vstack_weights_job_duration_seconds',
  /** Histogram; labels operation (set, commit, reveal), outcome (ok, rate_limited, error, timeout). */
  weightsAttemptDurationSeconds: 'vstack_weights_attempt_duration_seconds',

  // miner-proxy
  /** Counter; labels route, outcome (forwarded, refused, upstream_error, upstream_timeout, client_gone). */
  proxyRequestsTotal: 'vstack_proxy_requests_total',
  /** Counter; label reason (the refusal's error code). */
  proxyRefusalsTotal: 'vstack_proxy_refusals_total',
  /** Histogram; labels route, status_code: time to the upstream's response headers. */
  proxyUpstreamDurationSeconds: 'vstack_proxy_upstream_duration_seconds',

  // scoring
  /** Histogram; labels task_type, purpose (synthetic, organic): combined scores given. */
  scoringScore: 'vstack_scoring_score',
  /** Counter; labels task_type, outcome (scored, unscored_dropout, duplicate, invalid). */
  scoringResponsesTotal: 'vstack_scoring_responses_total',
  /** Counter; label netuid: weight vectors sent to the sidecar. */
  scoringWeightsJobsTotal: 'vstack_scoring_weights_jobs_total',
} as const;

export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** Labels of the HTTP metrics. */
export const httpMetricLabels = ['method', 'route', 'status_code', 'service'] as const;
