import { MetricName } from '@vstack/observability';
import type { DashboardSpec, PanelSpec, RowSpec } from './grafana';

// One dashboard per service. Queries name metrics through MetricName, so a renamed metric fails to compile here
// instead of leaving a panel empty; the dashboards test then checks each service really exports them.

/** Grafana's rate window: at least four scrape intervals, whatever the dashboard's resolution. */
const WINDOW = '$__rate_interval';

const rate = (selector: string) => `rate(${selector}[${WINDOW}])`;

/** The p-quantile of a histogram family, per `by` labels (le is added). */
function quantile(q: number, family: string, filter: string, by: readonly string[]): string {
  const labels = ['le', ...by].join(', ');
  return `histogram_quantile(${q}, sum by (${labels}) (${rate(`${family}_bucket${filter}`)}))`;
}

/** Events per second of a counter, per `by` labels. */
function perSecond(counter: string, filter: string, by: readonly string[]): string {
  return by.length === 0
    ? `sum(${rate(`${counter}${filter}`)})`
    : `sum by (${by.join(', ')}) (${rate(`${counter}${filter}`)})`;
}

const legend = (labels: readonly string[]) => labels.map((label) => `{{${label}}}`).join(' ');

function ratePanel(
  title: string,
  description: string,
  counter: string,
  by: readonly string[],
  extra: Partial<PanelSpec> = {},
): PanelSpec {
  return {
    title,
    description,
    kind: 'timeseries',
    unit: 'ops',
    queries: [{ expr: perSecond(counter, '', by), legend: legend(by) }],
    ...extra,
  };
}

function latencyPanel(title: string, description: string, family: string, by: readonly string[]): PanelSpec {
  return {
    title,
    description,
    kind: 'timeseries',
    unit: 's',
    queries: [
      { expr: quantile(0.5, family, '', by), legend: `p50 ${legend(by)}`.trim() },
      { expr: quantile(0.95, family, '', by), legend: `p95 ${legend(by)}`.trim() },
    ],
  };
}

/** Rows every service has: its HTTP traffic and its process. */
function serviceRows(service: string): RowSpec[] {
  const http = `{service="${service}"}`;
  // compose names the scrape job after the service, Kubernetes after its Service (vstack-<service>).
  const job = `{job=~"(.+-)?${service}"}`;
  return [
    {
      title: 'Process',
      panels: [
        {
          title: 'Targets up',
          description: 'Instances of the service Prometheus reaches (up = 1) at the last scrape.',
          kind: 'stat',
          unit: 'short',
          queries: [{ expr: `sum(up${job})`, legend: 'up' }],
        },
        {
          title: 'CPU',
          description: 'CPU seconds per second the process uses (1 = one core).',
          kind: 'stat',
          unit: 'percentunit',
          queries: [{ expr: `sum(${rate(`vstack_process_cpu_seconds_total${job}`)})`, legend: 'cpu' }],
        },
        {
          title: 'Resident memory',
          description: 'Resident set size of the process.',
          kind: 'stat',
          unit: 'bytes',
          queries: [{ expr: `sum(vstack_process_resident_memory_bytes${job})`, legend: 'rss' }],
        },
        {
          title: 'Event loop lag p99',
          description: 'How long callbacks wait for the event loop: high values delay every request and job.',
          kind: 'stat',
          unit: 's',
          queries: [{ expr: `max(vstack_nodejs_eventloop_lag_p99_seconds${job})`, legend: 'lag' }],
        },
      ],
    },
    {
      title: 'HTTP',
      panels: [
        {
          title: 'Requests by route',
          description: 'HTTP requests answered per second, by route template and status code.',
          kind: 'timeseries',
          unit: 'reqps',
          queries: [
            {
              expr: perSecond(MetricName.httpRequestsTotal, http, ['route', 'status_code']),
              legend: '{{route}} {{status_code}}',
            },
          ],
        },
        {
          title: 'Server errors',
          description: 'Share of answers with a 5xx status (0 when there are none).',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr:
                `(${perSecond(MetricName.httpRequestsTotal, `{service="${service}", status_code=~"5.."}`, [])} or vector(0))` +
                ` / ${perSecond(MetricName.httpRequestsTotal, http, [])}`,
              legend: '5xx share',
            },
          ],
        },
        {
          title: 'Latency by route',
          description: 'p95 of the time from the first byte received to the response sent.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: quantile(0.95, MetricName.httpRequestDurationSeconds, http, ['route']),
              legend: 'p95 {{route}}',
            },
          ],
        },
        {
          title: 'Requests in progress',
          description: 'Requests being handled now, by route.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            {
              expr: `sum by (route) (${MetricName.httpRequestsInProgress}${http})`,
              legend: '{{route}}',
            },
          ],
        },
      ],
    },
  ];
}

/**
 * The queues a service works on: their depth by state (read from Redis at each scrape), its job runs by outcome
 * and how long they take. `runsEmptyWhen` says why a service's runs can be missing on a healthy stack.
 */
function queueRow(service: string, runsEmptyWhen?: string): RowSpec {
  const job = `{job=~"(.+-)?${service}"}`;
  const empty = runsEmptyWhen === undefined ? {} : { emptyWhen: runsEmptyWhen };
  return {
    title: 'Queues',
    panels: [
      {
        title: 'Queue depth',
        description:
          'Jobs waiting, prioritized, delayed, running and failed in each queue this service works on.',
        kind: 'timeseries',
        unit: 'short',
        queries: [
          { expr: `max by (queue, state) (${MetricName.queueJobs}${job})`, legend: '{{queue}} {{state}}' },
        ],
      },
      {
        title: 'Job runs by outcome',
        description:
          'Job runs finished per second: completed, retried (attempts left), failed for good, invalid.',
        kind: 'timeseries',
        unit: 'ops',
        queries: [
          {
            expr: perSecond(MetricName.queueJobRunsTotal, job, ['queue', 'outcome']),
            legend: '{{queue}} {{outcome}}',
          },
        ],
        ...empty,
      },
      {
        title: 'Job run time',
        description: 'p50 and p95 of one job run, from taking the job to its outcome.',
        kind: 'timeseries',
        unit: 's',
        queries: [
          {
            expr: quantile(0.5, MetricName.queueJobRunDurationSeconds, job, ['queue']),
            legend: 'p50 {{queue}}',
          },
          {
            expr: quantile(0.95, MetricName.queueJobRunDurationSeconds, job, ['queue']),
            legend: 'p95 {{queue}}',
          },
        ],
        ...empty,
      },
    ],
  };
}

const sidecar: DashboardSpec = {
  service: 'sidecar',
  uid: 'vstack-sidecar',
  title: 'vstack / sidecar',
  description: 'Chain access, the metagraph cache and weight submissions.',
  rows: [
    {
      title: 'Chain',
      panels: [
        ratePanel(
          'Chain operations',
          'Chain operations per second, by operation and outcome.',
          `${MetricName.chainOperationDurationSeconds}_count`,
          ['operation', 'status'],
        ),
        latencyPanel(
          'Chain operation latency',
          'p50 and p95 duration of chain operations, by operation.',
          MetricName.chainOperationDurationSeconds,
          ['operation'],
        ),
        {
          title: 'Chain operation errors',
          description: 'Failed chain operations per second (0 when there are none).',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: `${perSecond(`${MetricName.chainOperationDurationSeconds}_count`, '{status="error"}', [])} or vector(0)`,
              legend: 'errors',
            },
          ],
        },
        ratePanel(
          'Archive fallbacks',
          'Reads the archive node served instead of the main node, by reason.',
          MetricName.chainArchiveFallbacksTotal,
          ['reason'],
          { emptyWhen: 'only with SUBTENSOR_ARCHIVE_URL set and reads of old blocks' },
        ),
      ],
    },
    {
      title: 'Metagraph cache',
      panels: [
        {
          title: 'Cache age',
          description: 'Blocks between the chain head and the newest cached metagraph, per subnet.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            { expr: `max by (netuid) (${MetricName.sidecarCacheAgeBlocks})`, legend: 'netuid {{netuid}}' },
          ],
        },
        ratePanel(
          'Stale reads',
          'Reads answered with a staleness warning (soft) or refused as stale (hard), per subnet.',
          MetricName.sidecarStaleReadsTotal,
          ['netuid', 'level'],
          { emptyWhen: 'only while the cache lags the chain past SIDECAR_STALE_SOFT_BLOCKS' },
        ),
      ],
    },
    {
      title: 'Weights',
      panels: [
        {
          title: 'Weights jobs by outcome',
          description: 'Weights jobs that reached a final state in the last hour, by outcome.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            {
              expr: `sum by (outcome) (increase(${MetricName.weightsJobDurationSeconds}_count[1h]))`,
              legend: '{{outcome}}',
            },
          ],
        },
        {
          title: 'Weights attempts by outcome',
          description:
            'Attempts to set, commit or reveal weights in the last hour, by operation and outcome.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            {
              expr: `sum by (operation, outcome) (increase(${MetricName.weightsAttemptDurationSeconds}_count[1h]))`,
              legend: '{{operation}} {{outcome}}',
            },
          ],
        },
        latencyPanel(
          'Weights attempt duration',
          'p50 and p95 time one attempt to put weights on chain takes, by operation.',
          MetricName.weightsAttemptDurationSeconds,
          ['operation'],
        ),
        latencyPanel(
          'Weights job duration',
          'p50 and p95 time from a weights job being scheduled to its final state.',
          MetricName.weightsJobDurationSeconds,
          [],
        ),
      ],
    },
  ],
};

const managing: DashboardSpec = {
  service: 'managing',
  uid: 'vstack-managing',
  title: 'vstack / managing',
  description: 'Miner selection, quotas and circuit breakers.',
  rows: [
    {
      title: 'Selection',
      panels: [
        ratePanel(
          'Selections by outcome',
          'Miner selections answered per second, by purpose and outcome (full, partial, empty, error).',
          MetricName.managingSelectionsTotal,
          ['purpose', 'outcome'],
        ),
        {
          title: 'Selections short of miners',
          description:
            'Selections per second that gave fewer miners than asked for, by reason (0 when none).',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: `${perSecond(MetricName.managingSelectionsTotal, '{outcome!="full"}', ['reason'])} or vector(0)`,
              legend: '{{reason}}',
            },
          ],
        },
        ratePanel(
          'Reports by outcome',
          'Calls to miners the validator reported, per second, by outcome.',
          MetricName.managingReportsTotal,
          ['outcome'],
        ),
        {
          title: 'Metagraph block',
          description: 'Block of the metagraph the miner registry holds.',
          kind: 'stat',
          unit: 'none',
          queries: [{ expr: `max(${MetricName.managingMetagraphBlock})`, legend: 'block' }],
        },
      ],
    },
    {
      title: 'Quotas',
      panels: [
        {
          title: 'Quota used',
          description: "Share of this window's quota used on each miner.",
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr:
                `sum by (uid, hotkey) (${MetricName.managingMinerQuota}{kind="used"})` +
                ` / clamp_min(sum by (uid, hotkey) (${MetricName.managingMinerQuota}{kind="limit"}), 1)`,
              legend: 'uid {{uid}}',
            },
          ],
        },
        {
          title: 'Quota left',
          description: 'Requests left on each miner in this window (organic and synthetic together).',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            {
              expr: `sum by (uid) (${MetricName.managingMinerQuota}{kind="left"})`,
              legend: 'uid {{uid}}',
            },
          ],
        },
        {
          title: 'Synthetic quota used',
          description: 'Synthetic requests used over the synthetic share of the quota, per miner.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr:
                `sum by (uid) (${MetricName.managingMinerQuota}{kind="synthetic_used"})` +
                ` / clamp_min(sum by (uid) (${MetricName.managingMinerQuota}{kind="synthetic_limit"}), 1)`,
              legend: 'uid {{uid}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Circuits',
      panels: [
        {
          title: 'Open circuits',
          description: 'Miners whose circuit is open: no traffic until it half-opens.',
          kind: 'stat',
          unit: 'short',
          queries: [
            { expr: `count(${MetricName.managingMinerCircuitState} == 2) or vector(0)`, legend: 'open' },
          ],
        },
        {
          title: 'Half-open circuits',
          description: 'Miners on probation after an open circuit.',
          kind: 'stat',
          unit: 'short',
          queries: [
            { expr: `count(${MetricName.managingMinerCircuitState} == 1) or vector(0)`, legend: 'half-open' },
          ],
        },
        {
          title: 'Circuit state by miner',
          description: "Each miner's circuit: 0 closed, 1 half-open, 2 open.",
          kind: 'timeseries',
          unit: 'short',
          states: { 0: 'closed', 1: 'half-open', 2: 'open' },
          queries: [
            { expr: `max by (uid) (${MetricName.managingMinerCircuitState})`, legend: 'uid {{uid}}' },
          ],
        },
      ],
    },
  ],
};

const scoring: DashboardSpec = {
  service: 'scoring',
  uid: 'vstack-scoring',
  title: 'vstack / scoring',
  description: 'Responses scored, score distribution and weight vectors.',
  rows: [
    {
      title: 'Responses',
      panels: [
        ratePanel(
          'Score jobs by outcome',
          'Score jobs handled per second, by outcome (scored, dropout, not sampled, duplicate, invalid).',
          MetricName.scoringResponsesTotal,
          ['outcome'],
        ),
        ratePanel(
          'Score jobs by task type',
          'Score jobs handled per second, by task type.',
          MetricName.scoringResponsesTotal,
          ['task_type'],
        ),
      ],
    },
    {
      title: 'Scores and weights',
      panels: [
        {
          title: 'Mean score',
          description: 'Mean combined score given, by task type and purpose.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr:
                `sum by (task_type, purpose) (${rate(`${MetricName.scoringScore}_sum`)})` +
                ` / sum by (task_type, purpose) (${rate(`${MetricName.scoringScore}_count`)})`,
              legend: '{{task_type}} {{purpose}}',
            },
          ],
        },
        {
          title: 'Score quantiles',
          description: 'p10, p50 and p90 of the combined scores given.',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [0.1, 0.5, 0.9].map((q) => ({
            expr: quantile(q, MetricName.scoringScore, '', []),
            legend: `p${Math.round(q * 100)}`,
          })),
        },
        {
          title: 'Weight vectors sent',
          description: 'Weight vectors sent to the sidecar in the last hour, per subnet.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            {
              expr: `sum by (netuid) (increase(${MetricName.scoringWeightsJobsTotal}[1h]))`,
              legend: 'netuid {{netuid}}',
            },
          ],
        },
      ],
    },
  ],
};

const synthesizing: DashboardSpec = {
  service: 'synthesizing',
  uid: 'vstack-synthesizing',
  title: 'vstack / synthesizing',
  description: 'Synthetic challenges, the synthetic queue and sampled organic requests.',
  rows: [
    {
      title: 'Synthetic queue',
      panels: [
        ratePanel(
          'Tasks added',
          'Synthetic tasks added to the queue per second, by task type and source (generated, replayed).',
          MetricName.synthesizingTasksTotal,
          ['task_type', 'source'],
        ),
        {
          title: 'Queue depth',
          description: 'Synthetic tasks waiting in the queue at the last check.',
          kind: 'timeseries',
          unit: 'short',
          queries: [{ expr: `max(${MetricName.synthesizingQueueDepth})`, legend: 'waiting' }],
        },
        {
          title: 'Backpressure',
          description: 'Checks per second that added nothing because the queue was full: the validator lags.',
          kind: 'timeseries',
          unit: 'ops',
          queries: [{ expr: perSecond(MetricName.synthesizingBackpressureTotal, '', []), legend: 'full' }],
        },
      ],
    },
    {
      title: 'Organic samples',
      panels: [
        ratePanel(
          'Samples heard',
          'Sampled organic requests heard per second, by outcome.',
          MetricName.synthesizingSamplesTotal,
          ['outcome'],
          { emptyWhen: 'only once the gateway has sampled organic requests' },
        ),
        {
          title: 'Samples stored',
          description: 'Sampled organic requests stored for replay, by task type, after the last sweep.',
          kind: 'timeseries',
          unit: 'short',
          emptyWhen: 'only after the first retention sweep with samples stored',
          queries: [
            { expr: `sum by (task_type) (${MetricName.synthesizingSamplesStored})`, legend: '{{task_type}}' },
          ],
        },
      ],
    },
  ],
};

const gateway: DashboardSpec = {
  service: 'gateway',
  uid: 'vstack-gateway',
  title: 'vstack / gateway',
  description: 'Organic tasks, refusals, credits and webhooks.',
  rows: [
    {
      title: 'Tasks',
      panels: [
        ratePanel(
          'Tasks accepted',
          'Tasks accepted per second (credits held, job queued), by task type and priority.',
          MetricName.gatewayTasksAcceptedTotal,
          ['task_type', 'priority'],
        ),
        ratePanel(
          'Tasks finished',
          'Tasks that reached a final state per second, by status.',
          MetricName.gatewayTasksFinishedTotal,
          ['status'],
        ),
        latencyPanel(
          'Task duration',
          'p50 and p95 time from a task being accepted to its final state, by task type.',
          MetricName.gatewayTaskDurationSeconds,
          ['task_type'],
        ),
      ],
    },
    {
      title: 'Refusals, credits and webhooks',
      panels: [
        ratePanel(
          'Refusals by code',
          'Requests refused per second, by the error code of the answer.',
          MetricName.gatewayRefusalsTotal,
          ['code'],
          { emptyWhen: 'only once a request has been refused' },
        ),
        ratePanel(
          'Credits moved',
          'Credits moved per second, by ledger movement (grant, hold, release, debit).',
          MetricName.gatewayCreditsTotal,
          ['movement'],
        ),
        ratePanel(
          'Webhook deliveries',
          'Webhook delivery attempts per second, by outcome (delivered, retrying, gave_up).',
          MetricName.gatewayWebhookDeliveriesTotal,
          ['outcome'],
          { emptyWhen: 'only for tasks submitted with a webhook' },
        ),
      ],
    },
  ],
};

const validator: DashboardSpec = {
  service: 'validator',
  uid: 'vstack-validator',
  title: 'vstack / validator',
  description: 'Tasks from the queues, requests to miners and weights jobs.',
  rows: [
    {
      title: 'Tasks',
      panels: [
        ratePanel(
          'Tasks by outcome',
          'Tasks handled per second, by purpose and outcome.',
          MetricName.validatorTasksTotal,
          ['purpose', 'outcome'],
        ),
        latencyPanel(
          'Task duration',
          'p50 and p95 time from taking a task to finishing it, by purpose.',
          MetricName.validatorTaskDurationSeconds,
          ['purpose'],
        ),
        {
          title: 'Tasks in progress',
          description: 'Tasks being handled now, by purpose.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            { expr: `sum by (purpose) (${MetricName.validatorTasksInProgress})`, legend: '{{purpose}}' },
          ],
        },
      ],
    },
    {
      title: 'Miner requests',
      panels: [
        ratePanel(
          'Miner requests by outcome',
          'Requests to miners per second, by outcome (ok, timeout, unreachable, http_error, invalid…).',
          MetricName.validatorMinerRequestsTotal,
          ['outcome'],
        ),
        {
          title: 'Failed miner requests',
          description: 'Share of requests to miners that did not end ok (cancelled hedges left out).',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr:
                `(${perSecond(MetricName.validatorMinerRequestsTotal, '{outcome!~"ok|cancelled"}', [])} or vector(0))` +
                ` / ${perSecond(MetricName.validatorMinerRequestsTotal, '', [])}`,
              legend: 'failed share',
            },
          ],
        },
        latencyPanel(
          'Miner request latency',
          'p50 and p95 of one request to a miner, from sending it to the whole answer, by task type.',
          MetricName.validatorMinerRequestDurationSeconds,
          ['task_type'],
        ),
        ratePanel(
          'Organic extra attempts',
          'Organic attempts beyond the first per second, by kind (hedge, retry).',
          MetricName.validatorOrganicExtraAttemptsTotal,
          ['kind'],
          { emptyWhen: 'only for organic tasks whose first miner was slow or failed' },
        ),
      ],
    },
    {
      title: 'Weights',
      panels: [
        {
          title: 'Weights jobs by outcome',
          description:
            'Weights jobs on epoch events in the last hour, by subnet and outcome (enqueued, empty, failed).',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            {
              expr: `sum by (netuid, outcome) (increase(${MetricName.validatorWeightsJobsTotal}[1h]))`,
              legend: 'netuid {{netuid}} {{outcome}}',
            },
          ],
        },
      ],
    },
  ],
};

const minerProxy: DashboardSpec = {
  service: 'miner-proxy',
  uid: 'vstack-miner-proxy',
  title: 'vstack / miner-proxy',
  description: 'Epistula requests to the miner: outcomes, refusals and upstream latency.',
  rows: [
    {
      title: 'Proxied requests',
      panels: [
        ratePanel(
          'Requests by outcome',
          'Requests on proxied routes per second, by route and outcome.',
          MetricName.proxyRequestsTotal,
          ['route', 'outcome'],
        ),
        ratePanel(
          'Refusals by reason',
          'Requests refused before forwarding per second, by error code (signature, stake, replay, rate limit…).',
          MetricName.proxyRefusalsTotal,
          ['reason'],
          { emptyWhen: 'only once a request has been refused' },
        ),
        latencyPanel(
          'Upstream latency',
          "p50 and p95 time to the inference server's response headers, by route.",
          MetricName.proxyUpstreamDurationSeconds,
          ['route'],
        ),
      ],
    },
  ],
};

const devnet: DashboardSpec = {
  service: 'devnet',
  uid: 'vstack-devnet',
  title: 'vstack / devnet',
  description: 'The local chain: its process and HTTP side (JSON-RPC runs over WebSocket).',
  rows: [],
};

/** The services that run queue workers, and their queue rows. */
const queueRows: Readonly<Record<string, RowSpec>> = {
  sidecar: queueRow('sidecar', 'no weights job has run yet: scoring sends one per epoch'),
  scoring: queueRow('scoring'),
  gateway: queueRow('gateway'),
  validator: queueRow('validator'),
};

/** Every service's dashboard, with the rows all services share first. */
export const dashboardSpecs: readonly DashboardSpec[] = [
  sidecar,
  managing,
  scoring,
  synthesizing,
  gateway,
  validator,
  minerProxy,
  devnet,
].map((spec) => {
  const queues = queueRows[spec.service];
  return { ...spec, rows: [...serviceRows(spec.service), ...(queues ? [queues] : []), ...spec.rows] };
});
