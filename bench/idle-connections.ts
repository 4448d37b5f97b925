/**
 * The idle-connection attack of the security review, bounded: opens
 * `--connections` TCP connections (default 20,000) that send nothing to the
 * boot HTTP port of a real `berth serve`, spread over `--addresses` loopback
 * source addresses, then reports what the daemon holds (descriptors, RSS,
 * drop counters) and whether the admin socket, HTTPS and TFTP still answer;
 * then whether the server closed the idle connections by itself.
 *
 *   node bench/idle-connections.ts [--connections 20000] [--addresses 700]
 *
 * The connections are opened by two worker processes (a process's own
 * descriptor limit is the ceiling for one opener). Everything stops by
 * itself in about half a minute.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '20000' }, addresses: { type: 'string', default: '700' }, worker: { type: 'string' }, port: { type: 'string' }, first: { type: 'string' } } });

if (values.worker !== undefined) {
  // Worker: open `worker` connections from 127.0.<a/250>.<a%250+2>, report how many the server left open, hold them until stdin ends.
  const count = Number(values.worker);
  const addresses = Number(values.addresses);
  const first = Number(values.first);
  const port = Number(values.port);
  const sockets: Socket[] = [];
  const opened = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const a = first + (i % addresses);
      return new Promise<Socket>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, localAddress: `127.0.${Math.floor(a / 250)}.${(a % 250) + 2}` });
        socket.on('error', () => undefined);
        socket.once('connect', () => resolve(socket));
        socket.once('close', () => resolve(socket));
      });
    }),
  );
  sockets.push(...opened);
  const report = () => process.stdout.write(`${sockets.filter((s) => !s.destroyed && s.readyState === 'open').length}\n`);
  await new Promise((r) => setTimeout(r, 1000));
  report();
  process.stdin.on('data', report);
  process.stdin.on('end', () => {
    for (const s of sockets) s.destroy();
    process.exit(0);
  });
} else {
  const { startDaemon } = await import('../test/helpers/daemon.ts');
  const total = Number(values.connections);
  const addresses = Number(values.addresses);
  const d = await startDaemon();
  const workers: ChildProcess[] = [];
  try {
    const pid = d.process.pid!;
    const status = JSON.parse(d.cli(['boot', 'status', '--json']).stdout);
    const ca = readFileSync(join(d.stateDir, 'public/ca.pem'), 'utf8');
    const limits = JSON.parse(d.log().split('\n').find((l) => l.includes('"connection limits"'))!);
    const sample = () => ({ descriptors: readdirSync(`/proc/${pid}/fd`).length, rssMB: Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024) });
    console.log(`daemon RLIMIT_NOFILE ${limits.openFiles}; boot HTTP cap ${limits.bootHttp}, ${limits.bootHttpPerAddress} per address`);
    console.log('before:', sample());
    const started = Date.now();
    const lines: Promise<number>[] = [];
    const ask: (() => Promise<number[]>)[] = [];
    for (let w = 0; w < 2; w++) {
      const worker = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', import.meta.filename, '--worker', String(total / 2), '--addresses', String(addresses / 2), '--first', String((w * addresses) / 2), '--port', String(status.httpPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
      workers.push(worker);
      worker.stdout!.setEncoding('utf8');
      let pending: ((n: number) => void)[] = [];
      worker.stdout!.on('data', (text: string) => {
        for (const line of text.trim().split('\n')) pending.shift()?.(Number(line));
      });
      lines.push(new Promise((r) => pending.push(r)));
      ask.push(async () => [await new Promise<number>((r) => { pending.push(r); worker.stdin!.write('?\n'); })]);
    }
    const held = (await Promise.all(lines)).reduce((a, b) => a + b, 0);
    console.log(`${total} idle connections from ${addresses} addresses opened in ${Date.now() - started} ms; ${held} client sockets still connected after 1 s (the rest closed by the server; connected ones beyond what the daemon holds wait in the kernel's accept queue, costing the daemon nothing)`);
    console.log('under attack:', sample());
    const admin = await d.api('GET', '/api/v1/boot/status');
    console.log('admin socket:', admin.status, 'drop counters:', JSON.stringify(admin.json.dropped));
    console.log('HTTPS:', await httpsStatus(d.httpsPort, ca));
    console.log('TFTP answers:', await tftpAnswers(status.tftpPort));
    await new Promise((r) => setTimeout(r, 14_000));
    const left = (await Promise.all(ask.map((f) => f()))).flat().reduce((a, b) => a + b, 0);
    console.log(`15 s later: ${left} client sockets still connected; the daemon:`, sample());
  } finally {
    for (const w of workers) w.stdin!.end();
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
    await d.stop();
    d.cleanup();
  }
}

function httpsStatus(port: number, ca: string): Promise<number | string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', checkServerIdentity: () => undefined }, () => socket.write('GET /api/v1/status HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', (e) => resolve(e.message));
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
  });
}

function tftpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(false);
    }, 3000);
    socket.on('message', () => {
      clearTimeout(timer);
      socket.close();
      resolve(true);
    });
    socket.send(Buffer.from('\x00\x01no-such-file\x00octet\x00', 'latin1'), port, '127.0.0.1');
  });
}
