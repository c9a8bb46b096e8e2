// Flat ESLint config. Besides type-aware rules it enforces the layering in ARCHITECTURE.md:
// renderer → common; main → protocols → common. A wrong import fails `npm run lint` (and CI).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'crypto', 'net', 'tls', 'http', 'https', 'child_process', 'worker_threads'];
const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: forbidden, message }] }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.venv-synapse/**', 'release/**', 'test-results/**', 'playwright-report/**', '.tmp/**', 'patches/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  layer(['common/**'], ['electron', 'react', 'react-dom', ...nodeBuiltins, '**/main/**', '**/protocols/**', '**/renderer/**'],
    'common/ is pure TypeScript: no Node, DOM, Electron or other layers.'),
  layer(['protocols/**'], ['electron', 'react', '**/main/**', '**/renderer/**'],
    'protocols/ may import only common/ and its own SDKs.'),
  layer(['main/core/**'], ['electron', 'react', '**/renderer/**', '**/main/web/**', '**/main/electron/**'],
    'main/core is host-agnostic: no Electron, no web host, no renderer.'),
  layer(['main/web/**'], ['electron', 'react', '**/renderer/**', '**/main/electron/**'],
    'main/web must not import Electron or the renderer.'),
  layer(['main/electron/**'], ['react', '**/renderer/**', '**/main/web/**'],
    'main/electron must not import the renderer or the web host.'),
  layer(['main/shared/**'], ['electron', 'react', '**/renderer/**', '**/main/web/**', '**/main/electron/**', '**/main/core/**'],
    'main/shared holds small Node helpers both hosts use; it imports no host and no core.'),
  layer(['renderer/**'], ['electron', ...nodeBuiltins, '**/main/**', '**/protocols/**', 'ws', 'better-sqlite3', '@xmpp/*'],
    'renderer/ may import only common/ (and browser libraries).'),
  {
    // Plain Node scripts (.mjs): Node globals.
    files: ['**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' },
    },
  },
  {
    files: ['renderer/**/*.tsx', 'renderer/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
);
