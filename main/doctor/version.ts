// The app version support asks for first, with the runtime it runs on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { type CheckResult, fail, msg, ok } from './check.js';

export function checkVersion(): CheckResult {
  try {
    const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    const rt = `Node ${process.version}, ${process.platform} ${process.arch}`;
    return ok('version', msg(`idkiosk ${version} (${rt}), tại ${packageRoot()}`, `idkiosk ${version} (${rt}), at ${packageRoot()}`));
  } catch (e) {
    return fail('version', msg(`Không đọc được package.json: ${(e as Error).message}`, `Cannot read package.json: ${(e as Error).message}`), msg('Cài lại phần mềm.', 'Reinstall the software.'));
  }
}
