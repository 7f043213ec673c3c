// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Money never travels as a JS number: these patterns turn a float into an amount.
const noFloatMoney = [
  { selector: "CallExpression[callee.name='parseFloat']", message: 'Money is never a float: use Money.parse from src/money.' },
  { selector: "MemberExpression[property.name='toFixed']", message: 'Money is never a float: use Money#toString from src/money.' },
  { selector: "CallExpression[callee.object.name='Number'][callee.property.name='parseFloat']", message: 'Money is never a float: use Money.parse.' },
];

// PGlite is one connection: the outer handle used inside a transaction callback waits for that
// transaction to end, forever. (On PostgreSQL it would silently run outside the transaction.)
const noOuterDbInTransaction = [
  {
    selector: "CallExpression[callee.name='inTransaction'] > :function Identifier[name='db']",
    message: 'Inside an inTransaction callback use trx, never db: on PGlite this hangs, on PostgreSQL it escapes the transaction.',
  },
  {
    selector: "CallExpression[callee.property.name='execute'][callee.object.callee.property.name='transaction'] > :function Identifier[name='db']",
    message: 'Inside a transaction callback use trx, never db.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'out/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      'no-restricted-syntax': ['error', ...noFloatMoney, ...noOuterDbInTransaction],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The money and ledger cores may not convert anything into a JS number.
    files: ['src/money/**/*.ts', 'src/ledger/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...noFloatMoney,
        ...noOuterDbInTransaction,
        { selector: "CallExpression[callee.name='Number']", message: 'No JS number on a money path: use bigint cents or Money.' },
        { selector: "CallExpression[callee.name='parseInt']", message: 'No JS number on a money path: use BigInt.' },
        { selector: "CallExpression[callee.object.name='Math']", message: 'No float arithmetic on a money path.' },
      ],
    },
  },
  {
    // kysely's advice: migrations are frozen in time and typed as Kysely<any>.
    files: ['migrations/**/*.ts', 'src/db/migrate.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
