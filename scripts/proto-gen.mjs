#!/usr/bin/env node
// Regenerate proto/gen from the .proto sources (buf + protoc-gen-es); commit the result.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const bin = resolve(root, 'node_modules/.bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
rmSync(resolve(root, 'proto/gen'), { recursive: true, force: true });
execFileSync(resolve(bin, 'buf'), ['generate'], { cwd: resolve(root, 'proto'), env, stdio: 'inherit' });
console.log('proto/gen regenerated');
