import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  argsForFrom,
  argsInStage,
  expand,
  finalStage,
  instructionsOf,
  parseDockerfile,
} from './dockerfile.js';

const text = `# syntax=docker/dockerfile:1.7
ARG BASE=node:20-slim
ARG VARIANT=cpu

FROM \${BASE} AS base
ARG TOOL_VERSION="1;2"
RUN echo a \\
  # a comment inside a continuation
  && echo "\${TOOL_VERSION}"

FROM base AS step-cpu
FROM base AS step-gpu
FROM step-\${VARIANT} AS final
COPY --from=base --chown=1:1 /a /b
USER 1000
ENTRYPOINT ["node", "x.js"]
`;

test('stages, ARGs, continuations and flags', () => {
  const file = parseDockerfile(text);
  assert.deepEqual(
    [...file.globalArgs],
    [
      ['BASE', 'node:20-slim'],
      ['VARIANT', 'cpu'],
    ],
  );
  assert.deepEqual(
    file.stages.map((s) => [s.from, s.name]),
    [
      ['${BASE}', 'base'],
      ['base', 'step-cpu'],
      ['base', 'step-gpu'],
      ['step-${VARIANT}', 'final'],
    ],
  );
  const base = file.stages[0]!;
  const run = instructionsOf(base, 'RUN')[0]!;
  assert.equal(run.args, 'echo a && echo "${TOOL_VERSION}"');
  assert.equal(run.line, 7);
  assert.equal(expand(run.args, argsInStage(file, base)), 'echo a && echo "1;2"');
  assert.equal(expand(base.from, argsForFrom(file)), 'node:20-slim');
  const last = finalStage(file);
  assert.equal(expand(last.from, argsForFrom(file, new Map([['VARIANT', 'gpu']]))), 'step-gpu');
  const copy = instructionsOf(last, 'COPY')[0]!;
  assert.deepEqual(
    [...copy.flags],
    [
      ['from', 'base'],
      ['chown', '1:1'],
    ],
  );
  assert.equal(copy.args, '/a /b');
});

test('expansion: defaults, unknown names, command substitution left alone', () => {
  const values = new Map<string, string | null>([
    ['A', 'x'],
    ['B', null],
  ]);
  assert.equal(expand('$A-${A}-${B:-d}-${C}-$(cmd)', values), 'x-x-d--$(cmd)');
});

test('an instruction before FROM other than ARG is refused', () => {
  assert.throws(() => parseDockerfile('RUN true\nFROM x:1\n'), /before FROM/);
});
