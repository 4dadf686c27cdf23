import { Module } from '@nestjs/common';

/** the Epistula-verifying reverse proxy in front of a miner. */
@Module({})
export class MinerProxyModule {}
