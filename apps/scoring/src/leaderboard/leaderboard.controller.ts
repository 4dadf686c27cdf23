import { Controller, Get, Param, Query } from '@nestjs/common';
import { ZodValidationPipe } from '@vstack/runtime';
import {
  type LeaderboardQuery,
  leaderboardQuerySchema,
  type LeaderboardView,
  type MinerParams,
  minerParamsSchema,
  type MinerQuery,
  minerQuerySchema,
  type MinerView,
} from './dto/leaderboard.dto';
import { LeaderboardService } from './leaderboard.service';

/** `GET /scores` (the leaderboard) and `GET /miners/{uid}` (one miner's scores and recent records). */
@Controller()
export class LeaderboardController {
  constructor(private readonly leaderboard: LeaderboardService) {}

  @Get('scores')
  scores(
    @Query(new ZodValidationPipe(leaderboardQuerySchema)) query: LeaderboardQuery,
  ): Promise<LeaderboardView> {
    return this.leaderboard.leaderboard(query);
  }

  @Get('miners/:uid')
  miner(
    @Param(new ZodValidationPipe(minerParamsSchema)) params: MinerParams,
    @Query(new ZodValidationPipe(minerQuerySchema)) query: MinerQuery,
  ): Promise<MinerView> {
    return this.leaderboard.miner(params.uid, query.limit);
  }
}
