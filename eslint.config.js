import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      // The error vocabulary is closed: errors come from the factories of src/lib/errors.ts.
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='AppError']", message: 'Use a factory of errors in src/lib/errors.ts.' },
      ],
    },
  },
  { files: ['src/lib/errors.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
