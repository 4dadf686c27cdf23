import { Body, Controller, Get, HttpCode, Inject, Param, Put, Query, Req } from '@nestjs/common';
import type { SidecarConfig } from '@vstack/config';
import {
  API_PREFIX,
  type PutWeightsResponse,
  TIMEOUT_HEADER,
  type WeightsHistoryResponse,
} from '@vstack/sidecar-client';
import { IdentityAccess, type IdentityRequest } from '../auth/access.guard';
import type { Identity } from '../auth/identities.service';
import { SidecarError, SidecarErrorCode } from '../errors';
import { requestTimeoutMs } from '../http/request-timeout';
import { SIDECAR_CONFIG } from '../tokens';
import { WeightsService } from './weights.service';

function identityOf(request: IdentityRequest): Identity {
  // The guard sets it on every identity route; a missing one is a wiring mistake, not the caller's.
  if (!request.identity)
    throw new SidecarError(SidecarErrorCode.Unauthorized, 'no identity for this request');
  return request.identity;
}

/** The weights routes of an identity on a subnet. */
@Controller(`${API_PREFIX.slice(1)}/identity/:name/subnet/:netuid`)
export class WeightsController {
  constructor(
    private readonly weights: WeightsService,
    @Inject(SIDECAR_CONFIG) private readonly config: SidecarConfig,
  ) {}

  /** Schedules a weights update for the current epoch; its chain reads are bounded by `x-timeout-ms`. */
  @Put('weights')
  @HttpCode(200)
  @IdentityAccess()
  put(
    @Req() request: IdentityRequest,
    @Param('netuid') netuid: string,
    @Body() body: unknown,
  ): Promise<PutWeightsResponse> {
    const timeoutMs = requestTimeoutMs(
      request.headers[TIMEOUT_HEADER],
      this.config.SIDECAR_REQUEST_TIMEOUT_MS,
    );
    return this.weights.schedule(identityOf(request), netuid, body, timeoutMs);
  }

  /** The identity's weights jobs on the subnet, newest first. */
  @Get('weights/history')
  @IdentityAccess()
  history(
    @Req() request: IdentityRequest,
    @Param('netuid') netuid: string,
    @Query('limit') limit: string | undefined,
  ): Promise<WeightsHistoryResponse> {
    // Checked like every route's, though a read of the audit trail does not wait on the chain.
    requestTimeoutMs(request.headers[TIMEOUT_HEADER], this.config.SIDECAR_REQUEST_TIMEOUT_MS);
    return this.weights.history(identityOf(request), netuid, limit);
  }
}
