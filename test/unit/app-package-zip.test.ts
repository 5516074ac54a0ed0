// The ZIP writer is checked by real unzip implementations (Info-ZIP unzip, Python's zipfile),
// because a zip that only our own code can read would be rejected by Teams.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeZip, type ZipEntry } from '../../appPackage/zip.writer';
import { requireTool, runs } from '../support/tools';

const UNZIP = requireTool('Info-ZIP unzip', () => runs('unzip', ['-v']), 'apt-get install -y unzip');
const PYTHON = requireTool("python3's zipfile", () => runs('python3', ['-c', 'import zipfile']), 'apt-get install -y python3');
// Skipped, visibly, only off CI and only where the machine lacks the tool.
const itWithUnzip = UNZIP ? it : it.skip;
const itWithPython = PYTHON ? it : it.skip;

const entries: ZipEntry[] = [
  { name: 'manifest.json', data: Buffer.from(JSON.stringify({ hello: 'world', list: Array(200).fill('repeat') })) },
  { name: 'random.bin', data: randomBytes(3000) }, // incompressible: stored, not deflated
  { name: 'empty.txt', data: Buffer.alloc(0) },
  { name: 'docs/naïve.txt', data: Buffer.from('utf-8 name\n') },
];

describe('writeZip', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'zip-writer-'));
    file = path.join(dir, 'test.zip');
    writeFileSync(file, writeZip(entries));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  itWithUnzip('writes an archive that unzip lists, tests and extracts byte for byte', () => {
    const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
    expect(names).toEqual(entries.map((e) => e.name));
    expect(execFileSync('unzip', ['-tq', file], { encoding: 'utf8' })).toMatch(/No errors detected/);
    for (const entry of entries) {
      expect(execFileSync('unzip', ['-p', file, entry.name]).equals(entry.data)).toBe(true);
    }
  });

  itWithPython('writes an archive that Python\'s zipfile reads with matching sizes and CRCs', () => {
    const script = [
      'import sys, zipfile, json',
      'z = zipfile.ZipFile(sys.argv[1])',
      'bad = z.testzip()',
      'print(json.dumps({"bad": bad, "files": [[i.filename, i.file_size, i.compress_type, len(z.read(i))] for i in z.infolist()]}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as { bad: string | null; files: Array<[string, number, number, number]> };
    expect(out.bad).toBeNull();
    expect(out.files).toEqual([
      ['manifest.json', entries[0]?.data.length, 8, entries[0]?.data.length],
      ['random.bin', 3000, 0, 3000],
      ['empty.txt', 0, 0, 0],
      ['docs/naïve.txt', 11, 0, 11],
    ]);
  });

  it('deflates compressible data and stores data that deflate would grow', () => {
    const zip = writeZip(entries.slice(0, 2));
    // Compression method sits at offset 8 of each local header.
    expect(zip.readUInt16LE(8)).toBe(8);
    const second = 30 + 'manifest.json'.length + zip.readUInt32LE(18);
    expect(zip.readUInt32LE(second)).toBe(0x04034b50);
    expect(zip.readUInt16LE(second + 8)).toBe(0);
  });

  it('is reproducible: the same entries give the same bytes', () => {
    expect(writeZip(entries).equals(writeZip(entries))).toBe(true);
  });

  it.each(['', '/etc/passwd', '../up.txt', 'a\\b.txt'])('refuses the entry name %j', (name) => {
    expect(() => writeZip([{ name, data: Buffer.from('x') }])).toThrow(/invalid zip entry name/);
  });

  it('refuses two entries with the same name', () => {
    expect(() => writeZip([{ name: 'a', data: Buffer.alloc(1) }, { name: 'a', data: Buffer.alloc(2) }])).toThrow(/duplicate zip entry: a/);
  });
});
