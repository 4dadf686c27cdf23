import { type DynamicModule, Module } from '@nestjs/common';
import type { DemoMinerConfig } from '@vstack/config';
import { DeterministicReferenceModel, type RandomSource, type ReferenceContext } from '@vstack/protocol';
import { DemoMinerController } from './demo-miner.controller';
import { behaviourFrom, DemoMinerService } from './demo-miner.service';
import {
  DEMO_MINER_BEHAVIOUR,
  DEMO_MINER_RANDOM,
  DEMO_MINER_REFERENCE,
  DEMO_MINER_SLEEPER,
  randomSourceFor,
  type Sleeper,
  timerSleeper,
} from './ports';

/** What tests may swap: the randomness, the clock and the model. */
export interface DemoMinerOverrides {
  random?: RandomSource;
  sleeper?: Sleeper;
  reference?: ReferenceContext;
}

/** a reference miner server. */
@Module({})
export class DemoMinerModule {
  static forRoot(config: DemoMinerConfig, overrides: DemoMinerOverrides = {}): DynamicModule {
    const reference: ReferenceContext = overrides.reference ?? {
      referenceModel: new DeterministicReferenceModel(),
    };
    return {
      module: DemoMinerModule,
      controllers: [DemoMinerController],
      providers: [
        DemoMinerService,
        { provide: DEMO_MINER_BEHAVIOUR, useValue: behaviourFrom(config) },
        { provide: DEMO_MINER_RANDOM, useValue: overrides.random ?? randomSourceFor(config.DEMO_MINER_SEED) },
        { provide: DEMO_MINER_SLEEPER, useValue: overrides.sleeper ?? timerSleeper },
        { provide: DEMO_MINER_REFERENCE, useValue: reference },
      ],
    };
  }
}
