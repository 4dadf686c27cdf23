import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MetricName, httpMetricLabels } from './metric-names';

/** A service's Prometheus registry: default process metrics plus the HTTP metrics every service has. */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<(typeof httpMetricLabels)[number]>;
  readonly httpDuration: Histogram<(typeof httpMetricLabels)[number]>;
  readonly httpInProgress: Gauge<'method' | 'route' | 'service'>;

  constructor(readonly service: string) {
    collectDefaultMetrics({ register: this.registry, prefix: 'vstack_' });
    this.httpRequests = new Counter({
      name: MetricName.httpRequestsTotal,
      help: 'HTTP requests answered, by method, route template and status code.',
      labelNames: httpMetricLabels,
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: MetricName.httpRequestDurationSeconds,
      help: 'HTTP request duration in seconds, from the first byte received to the response sent.',
      labelNames: httpMetricLabels,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.httpInProgress = new Gauge({
      name: MetricName.httpRequestsInProgress,
      help: 'HTTP requests being handled now.',
      labelNames: ['method', 'route', 'service'],
      registers: [this.registry],
    });
  }

  /** Records the start of a request and returns the function that records its end. */
  startHttpRequest(method: string, route: string): (statusCode: number) => void {
    const labels = { method, route, service: this.service };
    this.httpInProgress.inc(labels);
    const stopTimer = this.httpDuration.startTimer();
    return (statusCode) => {
      this.httpInProgress.dec(labels);
      const finished = { ...labels, status_code: String(statusCode) };
      this.httpRequests.inc(finished);
      stopTimer(finished);
    };
  }

  /** The text exposition format for /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
