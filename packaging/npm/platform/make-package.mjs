// Writes the npm package that carries one platform's binary, the esbuild pattern: npm
// installs only the @mfa-mock/* package whose `os` and `cpu` match the machine.
//
//   node make-package.mjs linux-x64 path/to/mfa-mock OUT_FOLDER
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [platform, binary, out] = process.argv.slice(2);
if (!platform || !binary || !out) {
  console.error('usage: node make-package.mjs <os>-<cpu> BINARY OUT_FOLDER');
  process.exit(2);
}
const [os, cpu] = platform.split('-');
const main = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../mfa-mock/package.json'), 'utf8'));
const name = `@mfa-mock/${platform}`;
if (!(name in main.optionalDependencies)) {
  console.error(`${name} is not among mfa-mock's optionalDependencies`);
  process.exit(2);
}
const exe = os === 'win32' ? 'mfa-mock.exe' : 'mfa-mock';
mkdirSync(join(out, 'bin'), { recursive: true });
copyFileSync(binary, join(out, 'bin', exe));
chmodSync(join(out, 'bin', exe), 0o755);
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify(
    {
      name,
      version: main.version,
      description: `The ${platform} binary of mfa-mock (installed by the mfa-mock package).`,
      license: main.license,
      os: [os],
      cpu: [cpu],
      files: [`bin/${exe}`],
      preferUnplugged: true,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(join(out, 'README.md'), `# ${name}\n\nThe ${platform} binary of [mfa-mock](https://www.npmjs.com/package/mfa-mock); install \`mfa-mock\`, not this.\n`);
