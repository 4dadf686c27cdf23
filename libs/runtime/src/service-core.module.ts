import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { type Logger, ServiceMetrics } from '@vstack/observability';
import { ApiExceptionFilter } from './exception.filter';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ReadinessRegistry } from './readiness.registry';
import { SERVICE_CONFIG, SERVICE_LOGGER, SERVICE_NAME } from './tokens';

export interface ServiceCoreOptions {
  service: string;
  config: object;
  logger: Logger;
  metrics: ServiceMetrics;
}

/** What every service has: its config, logger and metrics as providers, /health, /metrics and the error filter. */
@Global()
@Module({})
export class ServiceCoreModule {
  static forRoot(options: ServiceCoreOptions): DynamicModule {
    return {
      module: ServiceCoreModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SERVICE_NAME, useValue: options.service },
        { provide: SERVICE_CONFIG, useValue: options.config },
        { provide: SERVICE_LOGGER, useValue: options.logger },
        { provide: ServiceMetrics, useValue: options.metrics },
        ReadinessRegistry,
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
      exports: [SERVICE_NAME, SERVICE_CONFIG, SERVICE_LOGGER, ServiceMetrics, ReadinessRegistry],
    };
  }
}
