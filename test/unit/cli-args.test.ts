// parseCliArgs / normaliseArgv: getopt("hdro:n:m:") semantics, long options, validation. Pure.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_CONFIG_FILE,
  helpText,
  normaliseArgv,
  parseCliArgs,
  type CliOptions,
} from '../../src/cli-args.js';

const DEFAULTS: CliOptions = {
  daemon: false,
  rsyncFirst: false,
  threads: 10,
  configFile: DEFAULT_CONFIG_FILE,
  check: false,
  help: false,
  version: false,
  systemdUnit: false,
  acceptRoots: false,
};

function parsed(argv: string[]): CliOptions {
  const r = parseCliArgs(argv);
  if (!r.ok) assert.fail(`expected ${JSON.stringify(argv)} to parse, got: ${r.error.message}`);
  return r.value;
}

function usageError(argv: string[]): string {
  const r = parseCliArgs(argv);
  if (r.ok)
    assert.fail(
      `expected ${JSON.stringify(argv)} to be a usage error, got ${JSON.stringify(r.value)}`,
    );
  assert.equal(r.error.kind, 'usage');
  return r.error.message;
}

describe('parseCliArgs: accepted forms (as getopt "hdro:n:m:" reads them)', () => {
  const cases: [string[], Partial<CliOptions>][] = [
    [[], {}],
    [['-d'], { daemon: true }],
    [['-r'], { rsyncFirst: true }],
    [
      ['-dro', 'conf/confxml.xml'],
      { daemon: true, rsyncFirst: true, configFile: 'conf/confxml.xml' },
    ],
    [['-r', '-d', '-o', 'x.xml'], { daemon: true, rsyncFirst: true, configFile: 'x.xml' }],
    [['-oconf.xml'], { configFile: 'conf.xml' }],
    [['-dronfoo.xml'], { daemon: true, rsyncFirst: true, configFile: 'nfoo.xml' }],
    [['-n', '4'], { threads: 4 }],
    [['-n4'], { threads: 4 }],
    [['-do', 'c.xml', '-n4'], { daemon: true, configFile: 'c.xml', threads: 4 }],
    [['-n', '0'], { threads: 10 }],
    [['-n', '+3'], { threads: 3 }],
    [['-n', '1024'], { threads: 1024 }],
    [['-o', '-d'], { configFile: '-d' }], // the next word is the value, even if it starts with '-'
    [['-o', 'a', '-o', 'b'], { configFile: 'b' }], // last wins
    [['-o', 'we=ird name.xml'], { configFile: 'we=ird name.xml' }],
    [['-o', 'true'], { configFile: 'true' }],
    [['-o', '12'], { configFile: '12' }],
    [['-m', 'socket'], { module: 'socket' }],
    [['-mrefreshCDN'], { module: 'refreshCDN' }],
    [['-m', 'command'], { module: 'command' }],
    [['-m', 'http'], { module: 'http' }],
    [['-h'], { help: true }],
    [['--help'], { help: true }],
    [['--check'], { check: true }],
    [['--check-config', '-o', 'c.xml'], { check: true, configFile: 'c.xml' }],
    [['--version'], { version: true }],
    [
      ['--daemon', '--rsync-first', '--threads', '7', '--config=c.xml', '--module', 'socket'],
      { daemon: true, rsyncFirst: true, threads: 7, configFile: 'c.xml', module: 'socket' },
    ],
    [['--config', '-x.xml'], { configFile: '-x.xml' }],
  ];
  for (const [argv, expected] of cases) {
    test(JSON.stringify(argv), () => {
      assert.deepEqual(parsed(argv), { ...DEFAULTS, ...expected });
    });
  }
});

describe('parseCliArgs: usage errors', () => {
  const cases: [string[], RegExp][] = [
    [['-n', 'abc'], /-n expects a whole number.*"abc"/],
    [['-n', '4.5'], /-n expects a whole number/],
    [['-n', ''], /-n expects a whole number/],
    [['-n', '-3'], /-n must not be negative/],
    [['-n-1'], /-n must not be negative/],
    [['-n', '1025'], /at most 1024/],
    [['-o', ''], /-o needs a config file name/],
    [['--config='], /-o needs a config file name/],
    [['-m', 'bogus'], /-m expects one of command, socket, refreshCDN, http/],
    [['-m', 'Socket'], /-m expects one of/],
    [['-x'], /invalid option -- 'x'/],
    [['-dx'], /invalid option -- 'x'/],
    [['-o'], /option requires an argument -- 'o'/],
    [['-d', '-n'], /option requires an argument -- 'n'/],
    [['--config'], /option '--config' requires an argument/],
    [['--bogus'], /unrecognized option '--bogus'/],
    [['--no-daemon'], /unrecognized option '--no-daemon'/],
    [['--conf', 'x'], /unrecognized option '--conf'/],
    [['--check=yes'], /option '--check' doesn't allow an argument/],
    [['--daemon=false'], /option '--daemon' doesn't allow an argument/],
    [['-od', 'c.xml'], /unexpected argument "c.xml"/], // getopt: o="d", then an operand
    [['c.xml'], /unexpected argument "c.xml"/],
    [['--', '-d'], /unexpected argument "-d"/],
    [['-'], /unexpected argument "-"/],
  ];
  for (const [argv, message] of cases) {
    test(JSON.stringify(argv), () => {
      assert.match(usageError(argv), message);
    });
  }
});

describe('normaliseArgv', () => {
  test('rewrites clusters and attached values into one token per option', () => {
    assert.deepEqual(normaliseArgv(['-dro', 'c.xml', '-n4']), {
      ok: true,
      value: ['--daemon', '--rsync-first', '--config=c.xml', '--threads=4'],
    });
  });
  test('-od c.xml gives o="d" like getopt, and c.xml becomes an operand', () => {
    assert.deepEqual(normaliseArgv(['-od', 'c.xml']), {
      ok: true,
      value: ['--config=d', '--', 'c.xml'],
    });
  });
  test('-- ends options: what follows is an operand', () => {
    assert.deepEqual(normaliseArgv(['-d', '--', '-r']), {
      ok: true,
      value: ['--daemon', '--', '-r'],
    });
  });
});

test('helpText lists every flag with its meaning, in English', () => {
  const h = helpText();
  for (const flag of ['-d', '-r', '-n', '-o', '-m', '-h', '--check', '--version'])
    assert.ok(h.includes(flag), `help mentions ${flag}`);
  for (const word of [
    'background',
    'config file',
    'refreshCDN',
    'socket',
    'command',
    'http',
    'default 10',
  ]) {
    assert.ok(h.includes(word), `help mentions "${word}"`);
  }
  assert.doesNotMatch(h, /[\u4e00-\u9fff]/, 'no Chinese text');
  assert.ok(h.endsWith('\n'));
});
