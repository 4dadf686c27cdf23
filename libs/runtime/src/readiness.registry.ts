import { Injectable } from '@nestjs/common';
import type { ReadinessCheck } from '@vstack/observability';

/** The dependencies this service checks before it reports ready; modules add theirs at start-up. */
@Injectable()
export class ReadinessRegistry {
  private readonly registered: ReadinessCheck[] = [];

  add(check: ReadinessCheck): void {
    if (this.registered.some((existing) => existing.name === check.name)) {
      throw new Error(`readiness check "${check.name}" is registered twice`);
    }
    this.registered.push(check);
  }

  checks(): readonly ReadinessCheck[] {
    return this.registered;
  }
}
