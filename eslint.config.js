import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

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
);
