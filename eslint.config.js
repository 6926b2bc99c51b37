import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layer table of docs/architecture.md, enforced: every import points down it. A pattern
// names a folder wherever it sits in the relative path ('../../main/…' and '../main/…').
const up = (...folders) => folders.map((f) => `**/${f}/**`);
const layer = (files, patterns, extra = []) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: patterns, message: 'This import points up the layer table of docs/architecture.md: move the shared piece down instead.' },
          ...extra,
        ],
      },
    ],
  },
});
const MAIN_ROOMS = ['kiosk', 'read', 'formats', 'commands', 'host', 'electron', 'bench', 'eval'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain-JS helpers run by node directly (child processes in tests).
    files: ['**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', Buffer: 'readonly', URL: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  layer(['core/**/*.ts'], up('drivers', 'offline-cache', 'main', 'renderer', 'test')),
  layer(['drivers/**/*.ts'], up('offline-cache', 'main', 'renderer', 'test')),
  layer(['drivers/apdu/**/*.ts'], [...up('offline-cache', 'main', 'renderer', 'test'), '../emrtd/*', '../emulator/*', '../pcsc/*', '../qr/*', '../fingerprint/*', '../camera/*']),
  layer(['offline-cache/**/*.ts'], up('drivers', 'main', 'renderer', 'test')),
  // The verification core may use the API contract's types, nothing of the rooms built on it.
  layer(['main/verify/**/*.ts'], up(...MAIN_ROOMS, 'renderer', 'test'), [{ group: ['**/api/*', '!**/api/contract.js'], message: 'main/verify may use only the API contract (types), not its transports.' }]),
  layer(['main/read/**/*.ts'], up('kiosk', 'formats', 'commands', 'host', 'electron', 'bench', 'eval', 'renderer', 'test')),
  // What a result is handed over as (receipt, FHIR, PDF): built on the verification core, used by the kiosk and the CLI.
  layer(['main/formats/**/*.ts'], up('kiosk', 'read', 'commands', 'host', 'electron', 'bench', 'eval', 'renderer', 'test')),
  layer(['main/kiosk/**/*.ts'], up('read', 'commands', 'host', 'electron', 'bench', 'eval', 'renderer', 'test')),
  layer(['main/api/**/*.ts'], up(...MAIN_ROOMS, 'verify', 'renderer', 'test')),
  layer(['main/host/**/*.ts'], up(...MAIN_ROOMS.filter((r) => r !== 'host'), 'verify', 'renderer', 'test')),
  layer(['main/electron/**/*.ts', 'main/electron/**/*.cts'], up('read', 'commands', 'bench', 'eval', 'renderer', 'test')),
  layer(['main/doctor/**/*.ts'], up('read', 'commands', 'host', 'electron', 'bench', 'eval', 'renderer', 'test')),
  layer(['main/commands/**/*.ts'], up('bench', 'eval', 'renderer', 'test')),
  layer(['main/bench/**/*.ts', 'main/eval/**/*.ts'], up('renderer', 'test')),
  // The renderer runs in the page: its own files, and the API contract's types only.
  {
    files: ['renderer/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: up('main', 'drivers', 'offline-cache', 'core', 'test'), allowTypeImports: true, message: 'The renderer imports only types from main/api/contract.ts.' },
            { group: ['**/main/**', '!**/main/api/contract.js'], message: 'The renderer imports only types from main/api/contract.ts.' },
          ],
        },
      ],
    },
  },
);
