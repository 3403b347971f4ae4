import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

/** Node's recursive mkdir spins at 100 % CPU forever under /proc, deaf to Ctrl-C (issue 18). */
const RESTRICTED = ['callee.name', 'callee.property.name'].map((callee) => ({
  selector: `CallExpression[${callee}=/^mkdir(Sync)?$/] Property[key.name='recursive']`,
  message: 'use makeDir/makeDirSync (core/base/dirs.ts): recursive mkdir can spin forever',
}));

export default tseslint.config(
  { ignores: ['node_modules/', '**/dist/', 'out/', 'coverage/', '**/*.wasm', '.scratch/'] },
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    // Components' <script lang="ts"> goes through the TypeScript parser.
    files: ['**/*.svelte'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['core/**/*.ts', 'electron/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...RESTRICTED],
    },
  },
  {
    // A time read before waiting for the store's write lock can precede a write committed meanwhile (issue 18).
    files: ['core/io/store/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...RESTRICTED,
        {
          selector: "AssignmentPattern[right.callee.name='now']",
          message: 'take the time under the write lock: writeTransaction(store, (time) => …, at)',
        },
      ],
    },
  },
);
