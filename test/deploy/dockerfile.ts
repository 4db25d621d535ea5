/**
 * A small Dockerfile reader for the image checks (no container engine runs in CI): logical lines
 * (continuations joined, comments dropped), instructions with their `--flags`, build stages and ARG
 * defaults, and ARG expansion so a `FROM node:${NODE_VERSION}-slim` can be checked for its real tag.
 */

/** One instruction: `COPY --from=build /a /b` → keyword COPY, flags {from: build}, args "/a /b". */
export interface Instruction {
  readonly keyword: string;
  readonly flags: ReadonlyMap<string, string>;
  /** The text after the keyword and its flags. */
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

/** One build stage: its FROM and the instructions up to the next FROM. */
export interface Stage {
  readonly index: number;
  /** The image or stage reference as written (ARGs not expanded). */
  readonly from: string;
  readonly name: string | null;
  readonly instructions: readonly Instruction[];
  /** ARGs declared inside the stage, with their defaults (null: none). */
  readonly args: ReadonlyMap<string, string | null>;
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** ARGs before the first FROM (usable in FROM lines), with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string | null>;
  readonly stages: readonly Stage[];
}

function unquote(value: string): string {
  const q = value[0];
  return (q === '"' || q === "'") && value.endsWith(q) && value.length >= 2 ? value.slice(1, -1) : value;
}

/** `A=1 B="x y" C` → {A: 1, B: x y, C: null}. */
export function parseArgs(args: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("[^"]*"|'[^']*'|\S*))?/g)) {
    out.set(m[1] ?? '', m[2] === undefined ? null : unquote(m[2]));
  }
  return out;
}

/** Joins continuation lines and drops comments and blank lines: [line number, text][]. */
function logicalLines(text: string): [number, string][] {
  const out: [number, string][] = [];
  let start = 0;
  let buffer: string | null = null;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && buffer === null)) return;
    if (buffer === null) start = i + 1;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trimEnd() : trimmed;
    buffer = buffer === null ? part : `${buffer} ${part}`;
    if (!continued) {
      out.push([start, buffer]);
      buffer = null;
    }
  });
  if (buffer !== null) out.push([start, buffer]);
  return out;
}

function parseInstruction(line: number, text: string): Instruction {
  const match = /^(\S+)\s*(.*)$/.exec(text);
  const keyword = (match?.[1] ?? '').toUpperCase();
  let rest = match?.[2] ?? '';
  const flags = new Map<string, string>();
  for (;;) {
    const flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
    if (flag === null) break;
    flags.set(flag[1] ?? '', flag[2] ?? '');
    rest = rest.slice(flag[0].length);
  }
  return { keyword, flags, args: rest.trim(), line };
}

/** Parse a Dockerfile's text. Throws when an instruction comes before the first FROM (other than ARG). */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string | null>();
  const stages: {
    from: string;
    name: string | null;
    instructions: Instruction[];
    args: Map<string, string | null>;
  }[] = [];
  for (const [line, content] of logicalLines(text)) {
    const instruction = parseInstruction(line, content);
    const current = stages.at(-1);
    if (instruction.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (m === null) throw new Error(`line ${line}: cannot read FROM ${instruction.args}`);
      stages.push({ from: m[1] ?? '', name: m[2] ?? null, instructions: [instruction], args: new Map() });
    } else if (current === undefined) {
      if (instruction.keyword !== 'ARG') throw new Error(`line ${line}: ${instruction.keyword} before FROM`);
      for (const [k, v] of parseArgs(instruction.args)) globalArgs.set(k, v);
    } else {
      current.instructions.push(instruction);
      if (instruction.keyword === 'ARG')
        for (const [k, v] of parseArgs(instruction.args)) current.args.set(k, v);
    }
  }
  return { globalArgs, stages: stages.map((s, index) => ({ index, ...s })) };
}

/**
 * Expands `$NAME`, `${NAME}` and `${NAME:-default}` from `values`; an unknown or valueless name becomes
 * the empty string, as in a build that does not set it.
 */
export function expand(text: string, values: ReadonlyMap<string, string | null>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_all, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
      const value = values.get(braced ?? bare ?? '');
      return value === undefined || value === null || value === '' ? (fallback ?? '') : value;
    },
  );
}

/**
 * The ARG values in scope inside `stage`, as a build sees them: only the ARGs the stage declares (one
 * without a default takes the global default), then `overrides` (--build-arg) for declared names.
 */
export function argsInStage(
  file: Dockerfile,
  stage: Stage,
  overrides: ReadonlyMap<string, string> = new Map(),
): Map<string, string | null> {
  const values = new Map<string, string | null>();
  for (const [k, v] of stage.args) values.set(k, overrides.get(k) ?? v ?? file.globalArgs.get(k) ?? null);
  return values;
}

/** The ARG values a FROM line sees: the global ones, then `overrides`. */
export function argsForFrom(
  file: Dockerfile,
  overrides: ReadonlyMap<string, string> = new Map(),
): Map<string, string | null> {
  const values = new Map<string, string | null>(file.globalArgs);
  for (const [k, v] of overrides) if (values.has(k)) values.set(k, v);
  return values;
}

/** The stage a build ends in (the last one). */
export function finalStage(file: Dockerfile): Stage {
  const last = file.stages.at(-1);
  if (last === undefined) throw new Error('a Dockerfile without FROM');
  return last;
}

/** The instructions of `stage` with `keyword`. */
export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}
