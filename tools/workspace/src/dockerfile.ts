export interface DockerfileInstruction {
  /** Upper-case instruction: FROM, ARG, RUN, COPY, USER, ... */
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  /** 1-based line the instruction starts on. */
  line: number;
}

export interface DockerfileStage {
  /** The `AS` name, if any. */
  name: string | undefined;
  /** The image or earlier stage the stage starts from, as written (ARGs not expanded). */
  from: string;
  index: number;
  instructions: DockerfileInstruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM: the only ones a FROM line may use. */
  globalArgs: Map<string, string | undefined>;
  stages: DockerfileStage[];
}

function instructions(text: string): DockerfileInstruction[] {
  const result: DockerfileInstruction[] = [];
  let pending: { parts: string[]; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    // Comment lines are dropped even inside a continued instruction, as Docker does.
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) return;
    const continued = trimmed.endsWith('\\');
    const content = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending ??= { parts: [], line: index + 1 };
    if (content !== '') pending.parts.push(content);
    if (continued) return;
    const joined = pending.parts.join(' ');
    const match = /^(\S+)\s*(.*)$/.exec(joined);
    if (match)
      result.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line: pending.line });
    pending = undefined;
  });
  return result;
}

function parseArg(args: string): [string, string | undefined] {
  const separator = args.indexOf('=');
  if (separator === -1) return [args.trim(), undefined];
  return [
    args.slice(0, separator).trim(),
    args
      .slice(separator + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1'),
  ];
}

/** Splits a Dockerfile into its global ARGs and its build stages. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string | undefined>();
  const stages: DockerfileStage[] = [];
  for (const instruction of instructions(text)) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      const asIndex = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({
        name: asIndex === -1 ? undefined : words[asIndex + 1],
        from: words[0] ?? '',
        index: stages.length,
        instructions: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (stage) stage.instructions.push(instruction);
    else if (instruction.keyword === 'ARG') globalArgs.set(...parseArg(instruction.args));
  }
  return { globalArgs, stages };
}

/** The stage with this name (or index), if there is one. */
export function findStage(dockerfile: Dockerfile, nameOrIndex: string): DockerfileStage | undefined {
  return dockerfile.stages.find((stage) => stage.name === nameOrIndex || String(stage.index) === nameOrIndex);
}

/** A stage and the earlier stages it builds on, nearest first. */
export function stageChain(dockerfile: Dockerfile, stage: DockerfileStage): DockerfileStage[] {
  const chain = [stage];
  let parent = findStage(dockerfile, stage.from);
  while (parent && !chain.includes(parent) && parent.index < stage.index) {
    chain.push(parent);
    parent = findStage(dockerfile, parent.from);
  }
  return chain;
}

/** The image a stage finally starts from, with global ARG defaults expanded. */
export function baseImage(dockerfile: Dockerfile, stage: DockerfileStage): string {
  const root = stageChain(dockerfile, stage).at(-1) ?? stage;
  return root.from.replace(
    /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
    (_, name: string) => dockerfile.globalArgs.get(name) ?? '',
  );
}

/** The last value of an instruction (USER, CMD, HEALTHCHECK, ...) in a stage or the stages it builds on. */
export function effectiveInstruction(
  dockerfile: Dockerfile,
  stage: DockerfileStage,
  keyword: string,
): DockerfileInstruction | undefined {
  for (const link of stageChain(dockerfile, stage)) {
    const found = link.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
    if (found) return found;
  }
  return undefined;
}

/** Every instruction of a keyword in a stage and the stages it builds on, earliest first. */
export function inheritedInstructions(
  dockerfile: Dockerfile,
  stage: DockerfileStage,
  keyword: string,
): DockerfileInstruction[] {
  return stageChain(dockerfile, stage)
    .reverse()
    .flatMap((link) => link.instructions.filter((instruction) => instruction.keyword === keyword));
}

/** The user a stage's processes run as: its last USER, inherited through earlier stages; root when unset. */
export function effectiveUser(dockerfile: Dockerfile, stage: DockerfileStage): string {
  return effectiveInstruction(dockerfile, stage, 'USER')?.args.split(':')[0] ?? 'root';
}

/** The `--from=` stages COPY instructions of a stage read from. */
export function copySources(stage: DockerfileStage): string[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .flatMap((instruction) => /--from=(\S+)/.exec(instruction.args)?.[1] ?? []);
}
