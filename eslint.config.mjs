// @ts-check
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/tmp/**', '**/.nx/**', '**/vitest.config.ts'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // Nest modules and DTOs are classes with only static or decorated members.
      '@typescript-eslint/no-extraneous-class': 'off',
      // Nest types its option bags as classes; passing object literals to them is the documented usage.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          // The runtime loads the RPC transport only for services that answer RPC; everyone else imports it as usual.
          checkDynamicDependenciesExceptions: ['@vstack/contracts'],
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'],
            },
            {
              sourceTag: 'type:feature',
              onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'],
            },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:chain', onlyDependOnLibsWithTags: ['scope:chain', 'scope:shared'] },
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:tools', 'scope:shared'] },
            {
              sourceTag: 'scope:sidecar',
              onlyDependOnLibsWithTags: ['scope:sidecar', 'scope:chain', 'scope:shared'],
            },
            {
              sourceTag: 'scope:devnet',
              onlyDependOnLibsWithTags: ['scope:devnet', 'scope:chain', 'scope:shared'],
            },
            {
              sourceTag: 'scope:miner',
              onlyDependOnLibsWithTags: ['scope:miner', 'scope:chain', 'scope:shared'],
            },
            // The validator loads its hotkey with @vstack/chain (loadHotkey); it never talks to the chain itself.
            {
              sourceTag: 'scope:validator',
              onlyDependOnLibsWithTags: ['scope:validator', 'scope:chain', 'scope:shared'],
            },
            { sourceTag: 'scope:managing', onlyDependOnLibsWithTags: ['scope:managing', 'scope:shared'] },
            { sourceTag: 'scope:scoring', onlyDependOnLibsWithTags: ['scope:scoring', 'scope:shared'] },
            {
              sourceTag: 'scope:synthesizing',
              onlyDependOnLibsWithTags: ['scope:synthesizing', 'scope:shared'],
            },
            { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
          ],
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@vstack/*/*', '!@vstack/runtime/database'],
              message:
                'Import a lib through its public entries (@vstack/<lib>, or one listed in tsconfig.base.json).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e.ts', '**/*.int.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
      },
    },
  },
  prettier,
);
