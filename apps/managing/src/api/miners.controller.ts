import { Controller, Get, Inject } from '@nestjs/common';
import { type MinersOverview, MinersOverviewBuilder } from './miners-overview';

/** `GET /miners`: every miner with its quota used and left in this window, its health and its scores. */
@Controller('miners')
export class MinersController {
  constructor(@Inject(MinersOverviewBuilder) private readonly overview: MinersOverviewBuilder) {}

  @Get()
  list(): Promise<MinersOverview> {
    return this.overview.build();
  }
}
