import { ParseError, closest, normalizeText, parseCommand, tokenize } from '../../bot/commands/command-parser';

describe('command parser', () => {
  it('accepts the command with or without the slash, in any case', () => {
    expect(parseCommand('/train')?.name).toBe('train');
    expect(parseCommand('train')?.name).toBe('train');
    expect(parseCommand('  /TRAIN ')?.name).toBe('train');
  });

  it('tells positionals, --flag value, --flag=value and key=value apart', () => {
    const p = parseCommand('/train fashion-cnn --branch main lr=0.01 epochs=5 --note=hello');
    expect(p?.positionals).toEqual(['fashion-cnn']);
    expect(Object.fromEntries(p?.flags ?? [])).toEqual({ branch: 'main', note: 'hello' });
    expect(Object.fromEntries(p?.params ?? [])).toEqual({ lr: '0.01', epochs: '5' });
  });

  it('keeps quoted values whole, with straight and curly quotes', () => {
    expect(tokenize('/train --note "two words" tag=\'a b\'')).toEqual(['/train', '--note', 'two words', 'tag=a b']);
    expect(tokenize('/train --note \u201ccurly quoted\u201d')).toEqual(['/train', '--note', 'curly quoted']);
    expect(Object.fromEntries(parseCommand('/train msg="hello world"')?.params ?? [])).toEqual({ msg: 'hello world' });
  });

  it('refuses an unclosed quote, a flag without a value and a repeated flag', () => {
    expect(() => parseCommand('/train --note "open')).toThrow(ParseError);
    expect(() => parseCommand('/train --branch')).toThrow('--branch needs a value');
    expect(() => parseCommand('/train --branch a --branch b')).toThrow('--branch is given twice');
    expect(() => parseCommand('/train lr=1 lr=2')).toThrow('lr is given twice');
  });

  it('treats declared boolean flags as valueless', () => {
    const p = parseCommand('/runs --all fashion-cnn', new Set(['all']));
    expect(p?.flags.get('all')).toBe(true);
    expect(p?.positionals).toEqual(['fashion-cnn']);
  });

  it('decodes the HTML Teams puts into message text', () => {
    expect(normalizeText('/train&nbsp;lr=0.1 --note &quot;a &amp; b&quot;')).toBe('/train lr=0.1 --note "a & b"');
    expect(parseCommand('<p>/help train</p>')?.positionals).toEqual(['train']);
  });

  it('returns nothing for empty input', () => {
    expect(parseCommand('   ')).toBeUndefined();
    expect(parseCommand('/')).toBeUndefined();
  });

  it('suggests the closest command', () => {
    const ids = ['train', 'status', 'runs', 'approvals', 'help'];
    expect(closest('trian', ids)).toBe('train');
    expect(closest('stat', ids)).toBe('status');
    expect(closest('aprovals', ids)).toBe('approvals');
    expect(closest('nonsense', ids)).toBeDefined();
  });
});
