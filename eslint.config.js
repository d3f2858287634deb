// Lint with the layer rules of docs/architecture.md: each layer imports only the layers below it.
// main/app > main/cli, main/headless > main/api > main/engine > main/lab > main/core; renderer talks
// to main/ through type-only imports of the EemsApi contract.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'dgram', 'tls', 'os', 'worker_threads', 'cluster', 'readline'];
const nodeIoPaths = nodeIo.flatMap((m) => [m, `node:${m}`]);
const logging = ['winston', 'winston-daily-rotate-file', 'node-notifier', 'electron-store', 'conf', 'undici', 'p-limit', 'playwright-core'];

/** A no-restricted-imports rule: these modules and these folders are out of bounds. */
function restrict(paths, folders, message) {
  return {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        paths: paths.map((name) => ({ name, message })),
        patterns: folders.map((folder) => ({ group: [`**/${folder}/**`, `**/${folder}`], message })),
      },
    ],
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'test-output/**', '.ci/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // CommonJS helpers preloaded into third-party tools (test/support/offline.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['main/core/**/*.ts'],
    rules: restrict(
      ['electron', ...nodeIoPaths, ...logging],
      ['engine', 'lab', 'cli', 'headless', 'app', 'api', 'renderer'],
      'main/core is pure: no I/O, no electron, no logging, no outer layer.',
    ),
  },
  {
    files: ['main/lab/**/*.ts'],
    rules: restrict(['electron', 'winston', 'node-notifier', 'electron-store'], ['engine', 'cli', 'headless', 'app', 'api', 'renderer'], 'main/lab sits on main/core only.'),
  },
  {
    files: ['main/engine/**/*.ts'],
    rules: restrict(['electron', 'electron-store'], ['cli', 'headless', 'app', 'api', 'renderer'], 'main/engine is plain Node below the API and the shells.'),
  },
  {
    files: ['main/api/**/*.ts'],
    rules: restrict(['electron', 'electron-store'], ['cli', 'headless', 'app', 'renderer'], 'main/api serves both transports: no electron, no shell.'),
  },
  {
    files: ['main/cli/**/*.ts', 'main/headless/**/*.ts'],
    rules: restrict(['electron', 'electron-store'], ['app', 'renderer'], 'The CLI and the headless server run without Electron.'),
  },
  {
    files: ['renderer/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks only to the EemsApi bridge.' }],
          patterns: [
            { group: ['node:*', ...nodeIo], message: 'The renderer runs in a browser sandbox: no node modules.' },
            { group: ['**/main/**'], allowTypeImports: true, message: 'Only type imports from main/ (the EemsApi contract).' },
          ],
        },
      ],
    },
  },
);
