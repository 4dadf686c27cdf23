import { readFileSync } from 'node:fs';
import { appConfigSchemas, appNames } from '@vstack/config';
import { describe, expect, it } from 'vitest';
import {
  baseImage,
  copySources,
  effectiveInstruction,
  effectiveUser,
  findStage,
  inheritedInstructions,
  parseDockerfile,
} from './dockerfile';
import { workspacePath } from './workspace-root';

const dockerfile = parseDockerfile(readFileSync(workspacePath('Dockerfile'), 'utf8'));
const runtime = dockerfile.stages.at(-1);
const migrations = findStage(dockerfile, 'migrations');

function declaresArg(stageName: string, arg: string): boolean {
  const stage = findStage(dockerfile, stageName);
  return (stage?.instructions ?? []).some(
    (instruction) => instruction.keyword === 'ARG' && instruction.args.split('=')[0]?.trim() === arg,
  );
}

function envOf(stageName: string): Map<string, string> {
  const stage = findStage(dockerfile, stageName);
  const env = new Map<string, string>();
  if (!stage) return env;
  for (const instruction of inheritedInstructions(dockerfile, stage, 'ENV')) {
    for (const [, key, value] of instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) {
      env.set(key ?? '', (value ?? '').replace(/^"(.*)"$/, '$1'));
    }
  }
  return env;
}

describe('Dockerfile', () => {
  it('builds the app chosen by ARG APP', () => {
    expect(declaresArg('build', 'APP')).toBe(true);
    const build = findStage(dockerfile, 'build');
    const run = build?.instructions.filter((instruction) => instruction.keyword === 'RUN').map((i) => i.args);
    expect(run?.join('\n')).toContain('nx run "$APP:build"');
  });

  it('installs every dependency for the build and only production ones for the image', () => {
    const runs = (name: string) =>
      (findStage(dockerfile, name)?.instructions ?? []).filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs('deps').join('\n')).toMatch(/npm ci(?!.*--omit)/);
    expect(runs('prod-deps').join('\n')).toContain('npm ci --omit=dev');
    expect(envOf('base').get('NX_DAEMON')).toBe('false');
  });

  it('ends with the runtime stage: slim Node 20, a non-root user, production settings, health check and CMD', () => {
    expect(runtime?.name).toBe('runtime');
    if (!runtime) return;
    expect(declaresArg('runtime', 'APP')).toBe(true);
    expect(baseImage(dockerfile, runtime)).toMatch(/^node:20[\w.-]*-slim$/);
    expect(effectiveUser(dockerfile, runtime)).not.toMatch(/^(root|0)$/);
    expect(envOf('runtime').get('NODE_ENV')).toBe('production');
    expect(envOf('runtime').get('HOST')).toBe('0.0.0.0');
    expect(effectiveInstruction(dockerfile, runtime, 'HEALTHCHECK')?.args).toContain('healthcheck.js');
    expect(effectiveInstruction(dockerfile, runtime, 'CMD')?.args).toBe('["node", "main.js"]');
  });

  it('copies into the runtime image only the app bundle, production node_modules and package.json', () => {
    if (!runtime) throw new Error('no runtime stage');
    const copies = inheritedInstructions(dockerfile, runtime, 'COPY').map((instruction) => instruction.args);
    expect(copies).toEqual([
      '--from=prod-deps /workspace/node_modules ./node_modules',
      'package.json ./',
      '--from=build /workspace/dist/apps/${APP}/ ./',
      '--from=source /workspace/dist/tools/workspace/docker/healthcheck.js* ./',
    ]);
  });

  it('has a migrations stage that runs as a non-root user and migrates exactly the Postgres apps', () => {
    expect(migrations).toBeDefined();
    if (!migrations) return;
    expect(effectiveUser(dockerfile, migrations)).not.toMatch(/^(root|0)$/);
    expect(effectiveInstruction(dockerfile, migrations, 'CMD')?.args).toBe('["node", "migrate.js"]');
    expect(envOf('migrations').get('VSTACK_MIGRATION_APPS')).toBe('${MIGRATION_APPS}');
    const postgresApps = appNames.filter((app) => 'DATABASE_URL' in appConfigSchemas[app].shape);
    const listed = (dockerfile.globalArgs.get('MIGRATION_APPS') ?? '').split(/\s+/).filter(Boolean);
    expect([...listed].sort()).toEqual([...postgresApps].sort());
    expect(declaresArg('migrations', 'MIGRATION_APPS')).toBe(true);
    expect(declaresArg('build-migrations', 'MIGRATION_APPS')).toBe(true);
  });

  it('copies only from stages defined before the copying stage', () => {
    for (const stage of dockerfile.stages) {
      for (const source of copySources(stage)) {
        const from = findStage(dockerfile, source);
        expect(from, `${stage.name ?? stage.index} copies from ${source}`).toBeDefined();
        expect(from?.index ?? Infinity).toBeLessThan(stage.index);
      }
    }
  });

  it('names every stage once', () => {
    const names = dockerfile.stages.map((stage) => stage.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(workspacePath('.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps dependencies, outputs, caches and history out of the build context', () => {
    for (const entry of ['node_modules', 'dist', 'tmp', '.nx', '.git']) {
      expect(
        lines.some((line) => line === entry || line === `**/${entry}`),
        entry,
      ).toBe(true);
    }
  });

  it('keeps the manifests and sources the build needs', () => {
    for (const needed of [
      'package.json',
      'package-lock.json',
      'apps',
      'libs',
      'tools',
      'nx.json',
      'tsconfig.base.json',
    ]) {
      expect(lines, needed).not.toContain(needed);
    }
  });
});

describe('parseDockerfile', () => {
  const parsed = parseDockerfile(
    [
      'ARG BASE=node:20-slim',
      'FROM ${BASE} AS one',
      '# a comment',
      'RUN echo a \\',
      '  # dropped comment inside a continuation',
      '  && echo b',
      'USER node',
      'from one as two',
      'USER 0:0',
      'FROM one AS three',
    ].join('\n'),
  );

  it('reads global ARGs, stages, continuations and inherited instructions', () => {
    expect(parsed.globalArgs.get('BASE')).toBe('node:20-slim');
    expect(parsed.stages.map((stage) => stage.name)).toEqual(['one', 'two', 'three']);
    expect(parsed.stages[0]?.instructions[0]).toEqual({ keyword: 'RUN', args: 'echo a && echo b', line: 4 });
    const [one, two, three] = parsed.stages;
    if (!one || !two || !three) throw new Error('stages missing');
    expect(baseImage(parsed, three)).toBe('node:20-slim');
    expect(effectiveUser(parsed, one)).toBe('node');
    expect(effectiveUser(parsed, two)).toBe('0');
    expect(effectiveUser(parsed, three)).toBe('node');
  });
});
