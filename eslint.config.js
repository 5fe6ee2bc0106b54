// Lint rules that guard the determinism contract (DESIGN.md): nothing under sim/
// (but sim/cli/) may read the wall clock, draw ambient randomness, schedule real
// timers or import a Node built-in, so the simulator runs the same in the browser.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'util', 'url', 'process', 'events', 'stream', 'readline', 'http', 'https', 'net', 'tty', 'perf_hooks', 'module', 'assert', 'buffer', 'timers', 'v8', 'vm', 'zlib'];

export default tseslint.config(
  { ignores: ['dist/**', 'dist.*/**', 'web-dist/**', 'node_modules/**', 'web/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['sim/**/*.ts'],
    ignores: ['sim/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use a seeded stream from RngStreams (determinism contract).' },
        { object: 'Date', property: 'now', message: 'Virtual time only: use ctx.nowUs.' },
        { object: 'performance', property: 'now', message: 'Virtual time only: use ctx.nowUs.' },
        { object: 'process', property: 'hrtime', message: 'Virtual time only.' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use ctx.setTimer (virtual time).' },
        { name: 'setInterval', message: 'Use ctx.setTimer (virtual time).' },
        { name: 'setImmediate', message: 'Use the event queue.' },
        { name: 'process', message: 'sim/ must run in the browser: no process.' },
        { name: 'require', message: 'ESM only.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date']", message: 'Virtual time only: no new Date() under sim/.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          // Exact module names (a pattern like "net" would also match ../net/).
          paths: nodeBuiltins.map((name) => ({ name, message: 'sim/ must run in the browser: no Node built-ins (only sim/cli/ may).' })),
          patterns: [{ group: ['node:*'], message: 'sim/ must run in the browser: no Node built-ins (only sim/cli/ may).' }],
        },
      ],
    },
  },
);
