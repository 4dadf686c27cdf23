import { type DynamicModule, type InjectionToken, Module, type ModuleMetadata } from '@nestjs/common';
import { EpistulaGuard } from './epistula.guard';
import { EpistulaVerifier, type EpistulaVerifierOptions } from './verify';

/** The injection token of the verifier's options (hotkey, skew, replay cache, signer policy). */
export const EPISTULA_VERIFIER_OPTIONS: InjectionToken<EpistulaVerifierOptions> =
  Symbol('EPISTULA_VERIFIER_OPTIONS');

export interface EpistulaModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  useFactory: (...args: never[]) => EpistulaVerifierOptions | Promise<EpistulaVerifierOptions>;
}

const verifierProvider = {
  provide: EpistulaVerifier,
  inject: [EPISTULA_VERIFIER_OPTIONS],
  useFactory: (options: EpistulaVerifierOptions) => new EpistulaVerifier(options),
};

/**
 * Provides `EpistulaVerifier` and `EpistulaGuard`. Import it in the module whose controllers use
 * `@UseGuards(EpistulaGuard)`, or register the guard as `APP_GUARD` and mark open routes with `@SkipEpistula()`.
 */
@Module({})
export class EpistulaModule {
  static forRoot(options: EpistulaVerifierOptions): DynamicModule {
    return {
      module: EpistulaModule,
      providers: [{ provide: EPISTULA_VERIFIER_OPTIONS, useValue: options }, verifierProvider, EpistulaGuard],
      exports: [EPISTULA_VERIFIER_OPTIONS, EpistulaVerifier, EpistulaGuard],
    };
  }

  static forRootAsync(options: EpistulaModuleAsyncOptions): DynamicModule {
    return {
      module: EpistulaModule,
      imports: options.imports ?? [],
      providers: [
        { provide: EPISTULA_VERIFIER_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        verifierProvider,
        EpistulaGuard,
      ],
      exports: [EPISTULA_VERIFIER_OPTIONS, EpistulaVerifier, EpistulaGuard],
    };
  }
}
