/**
 * Every metric the stack exports, named once. Dashboards and alerts query these names: treat them as stored
 * data and never rename one.
 */
export const MetricName = {
  httpRequestsTotal: 'vstack_http_requests_total',
  httpRequestDurationSeconds: 'vstack_http_request_duration_seconds',
  httpRequestsInProgress: 'vstack_http_requests_in_progress',

  // queues (every service that runs a queue worker)
  /** Gauge; labels queue, state (waiting, prioritized, delayed, active, failed): jobs in the queue, read at scrape time. */
  queueJobs: 'vstack_queue_jobs',
  /** Counter; labels queue, job, outcome (completed, retried, failed, invalid): job runs finished by this worker. */
  queueJobRunsTotal: 'vstack_queue_job_runs_total',
  /** Histogram; labels queue, job, outcome: one run of a job, from taking it to its outcome. */
  queueJobRunDurationSeconds: 'vstack_queue_job_run_duration_seconds',

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

  // managing (quotas, selection, miner health)
  /** Counter; labels purpose (synthetic, organic), outcome (full, partial, empty, error), reason (code or none). */
  managingSelectionsTotal: 'vstack_managing_selections_total',
  /** Gauge; labels uid, hotkey, kind (limit, used, left, synthetic_limit, synthetic_used): this window's quota. */
  managingMinerQuota: 'vstack_managing_miner_quota',
  /** Gauge; labels uid, hotkey: the miner's circuit, 0 closed, 1 half-open, 2 open. */
  managingMinerCircuitState: 'vstack_managing_miner_circuit_state',
  /** Counter; label outcome (ok, failed, unknown_miner): calls the validator reported. */
  managingReportsTotal: 'vstack_managing_reports_total',
  /** Gauge: block of the metagraph the miner registry holds. */
  managingMetagraphBlock: 'vstack_managing_metagraph_block',

  // scoring
  /** Histogram; labels task_type, purpose (synthetic, organic): combined scores given. */
  scoringScore: 'vstack_scoring_score',
  /** Counter; labels task_type, outcome (scored, unscored_dropout, unscored_not_sampled, duplicate, invalid). */
  scoringResponsesTotal: 'vstack_scoring_responses_total',
  /** Counter; label netuid: weight vectors sent to the sidecar. */
  scoringWeightsJobsTotal: 'vstack_scoring_weights_jobs_total',

  // gateway
  /** Counter; labels task_type, priority: tasks accepted (credits held, job queued). */
  gatewayTasksAcceptedTotal: 'vstack_gateway_tasks_accepted_total',
  /** Counter; labels task_type, status (COMPLETED, FAILED, CANCELLED): tasks that reached a final state. */
  gatewayTasksFinishedTotal: 'vstack_gateway_tasks_finished_total',
  /** Histogram; labels task_type, status: from accepted to final state. */
  gatewayTaskDurationSeconds: 'vstack_gateway_task_duration_seconds',
  /** Counter; label code: requests refused (the error code of the answer). */
  gatewayRefusalsTotal: 'vstack_gateway_refusals_total',
  /** Counter; label movement (hold, debit, release, grant): credits moved, by ledger movement. */
  gatewayCreditsTotal: 'vstack_gateway_credits_total',
  /** Counter; label outcome (delivered, retrying, gave_up): webhook delivery attempts. */
  gatewayWebhookDeliveriesTotal: 'vstack_gateway_webhook_deliveries_total',

  // validator (the loop)
  /** Counter; labels purpose (synthetic, organic), task_type, outcome (completed, failed, no_miners, released, invalid). */
  validatorTasksTotal: 'vstack_validator_tasks_total',
  /** Histogram; labels purpose, task_type, outcome: from taking the job to finishing it. */
  validatorTaskDurationSeconds: 'vstack_validator_task_duration_seconds',
  /** Gauge; label purpose: tasks being handled now. */
  validatorTasksInProgress: 'vstack_validator_tasks_in_progress',
  /** Counter; labels purpose, task_type, outcome (ok, timeout, unreachable, http_error, invalid, bad_signature, cancelled). */
  validatorMinerRequestsTotal: 'vstack_validator_miner_requests_total',
  /** Histogram; labels task_type, outcome: one request to a miner, from sending to the whole answer. */
  validatorMinerRequestDurationSeconds: 'vstack_validator_miner_request_duration_seconds',
  /** Counter; labels task_type, kind (hedge, retry): organic attempts beyond the first. */
  validatorOrganicExtraAttemptsTotal: 'vstack_validator_organic_extra_attempts_total',
  /** Counter; labels netuid, outcome (enqueued, empty, failed): weights jobs on epoch events. */
  validatorWeightsJobsTotal: 'vstack_validator_weights_jobs_total',

  // synthesizing
  /** Counter; labels task_type, source (generated, replayed): synthetic tasks added to the queue. */
  synthesizingTasksTotal: 'vstack_synthesizing_tasks_total',
  /** Gauge: synthetic tasks waiting in the queue at the last check. */
  synthesizingQueueDepth: 'vstack_synthesizing_queue_depth',
  /** Counter: checks that added nothing because the queue was at its maximum depth. */
  synthesizingBackpressureTotal: 'vstack_synthesizing_backpressure_total',
  /** Counter; labels task_type, outcome (stored, duplicate, invalid, disabled): sampled organic requests heard. */
  synthesizingSamplesTotal: 'vstack_synthesizing_samples_total',
  /** Gauge; label task_type: sampled organic requests stored, after the last retention sweep. */
  synthesizingSamplesStored: 'vstack_synthesizing_samples_stored',
} as const;

export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** Labels of the HTTP metrics. */
export const httpMetricLabels = ['method', 'route', 'status_code', 'service'] as const;
