/**
 * Every metric the stack exports, named once. Dashboards and alerts query these names: treat them as stored
 * data and never rename one.
 */
export const MetricName = {
  httpRequestsTotal: 'vstack_http_requests_total',
  httpRequestDurationSeconds: 'vstack_http_request_duration_seconds',
  httpRequestsInProgress: 'vstack_http_requests_in_progress',
} as const;

export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** Labels of the HTTP metrics. */
export const httpMetricLabels = ['method', 'route', 'status_code', 'service'] as const;
