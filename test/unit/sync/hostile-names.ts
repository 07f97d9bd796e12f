// File names that broke or hijacked the original's shell commands (docs/compat.md, running rsync), and more.
// `PWNED_*` files appear only if a name was ever run by a shell. Pure data.

/** Names without '/' or NUL; each one is a valid file name. */
export const HOSTILE = [
  'with space.txt',
  "it's.txt",
  'dq"x.txt',
  'bt`touch PWNED_bt`.txt',
  '$(touch PWNED_sub).txt',
  'var$HOME.txt',
  'semi;touch PWNED_semi',
  'nl\nname.txt',
  '-dash.txt',
  '--exclude=zz',
  'w[1].txt',
  'st*r?.txt',
  'bs\\',
  'bs\\\\x',
  '中文 文件.txt',
  'trailing ',
  "'",
  '#hash',
  ';semi',
  '~tilde',
  'a&&b|c>d<e',
  'st?r',
  'ü ñ é 🙂',
  '*',
];

/** The files a shell would create if it ever ran one of the names above. */
export const PWNED_FILES = ['PWNED_bt', 'PWNED_sub', 'PWNED_semi'];
