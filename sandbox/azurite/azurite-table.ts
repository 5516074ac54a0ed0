import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Azurite's Table service (Microsoft's own emulator, npm `azurite`) in a child process, in memory,
 * on a loopback port the OS picks. Azurite's CLI prints the port it was asked for (0), not the one
 * it got, so the child builds the server through Azurite's own TableServer class and prints the
 * bound address. The well-known development account and key are Azurite's published defaults
 * (learn.microsoft.com/azure/storage/common/storage-use-azurite), not a secret.
 */
export interface AzuriteTable {
  /** `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=…;TableEndpoint=http://127.0.0.1:<port>/devstoreaccount1;` */
  connectionString: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const CHILD = `
const TableServer = require(${JSON.stringify(require.resolve('azurite/dist/src/table/TableServer'))}).default;
const TableConfiguration = require(${JSON.stringify(require.resolve('azurite/dist/src/table/TableConfiguration'))}).default;
// host, port, keep-alive, db path (unused in memory), debug log, access log, stream, debug file, loose, skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl, inMemory
const config = new TableConfiguration('127.0.0.1', 0, 5, 'unused', false, false, undefined, undefined, false, true, '', '', '', undefined, false, true);
const server = new TableServer(config);
server.start().then(() => {
  const a = server.getHttpServerAddress();
  process.stdout.write('AZURITE_TABLE ' + a + '\\n');
}, (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
process.on('SIGTERM', () => { server.close().then(() => process.exit(0), () => process.exit(1)); });
`;

export function tableConnectionString(port: number): string {
  return `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};TableEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`;
}

export async function startAzuriteTable(timeoutMs = 30_000): Promise<AzuriteTable> {
  const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start in ${timeoutMs} ms: ${err.slice(0, 500)}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /AZURITE_TABLE \S*:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}) before it listened: ${err.slice(0, 500)}`));
    });
  });
  return {
    connectionString: tableConnectionString(port),
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
