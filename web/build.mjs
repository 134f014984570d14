// Bundles each page's script (web/src/<page>.ts) into web/dist/<page>.js with esbuild.
import { build } from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, 'src');
const entryPoints = existsSync(srcDir)
  ? readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => join(srcDir, f))
  : [];

if (entryPoints.length > 0) {
  await build({
    entryPoints,
    outdir: join(here, 'dist'),
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    minify: process.env.NODE_ENV !== 'development',
    sourcemap: true,
    logLevel: 'warning',
  });
}
