import { Module } from '@nestjs/common';

/** a reference miner server. */
@Module({})
export class DemoMinerModule {}
