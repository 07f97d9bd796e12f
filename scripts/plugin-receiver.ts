// A one-command receiver for trying the socket, http and refreshCDN plugins: prints one line per
// event it gets. Shell (node:net / node:http). See docs/plugins.md.
//
//   node dist/scripts/plugin-receiver.js socket 8009        # <deshost ip="127.0.0.1" port="8009"/>
//   node dist/scripts/plugin-receiver.js http 8080          # <deshost url="http://127.0.0.1:8080/"/>
//   node dist/scripts/plugin-receiver.js cdn 8081           # <cdninfo domainname="127.0.0.1" port="8081" …/>
import { createServer as createTcpServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';

const [kind, portArg, host = '127.0.0.1'] = process.argv.slice(2);
const port = Number(portArg);
const stamp = (): string => new Date().toISOString();

if (
  !Number.isInteger(port) ||
  port <= 0 ||
  port > 65_535 ||
  !['socket', 'http', 'cdn'].includes(kind ?? '')
) {
  console.error('usage: plugin-receiver <socket|http|cdn> <port> [host=127.0.0.1]');
  process.exit(64);
}

if (kind === 'socket') {
  // One connection per event; the payload is the absolute path's bytes, nothing else.
  createTcpServer((s) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => {
      console.log(`${stamp()} socket ${JSON.stringify(Buffer.concat(chunks).toString('utf8'))}`);
    });
    s.on('error', () => undefined);
  }).listen(port, host, () => {
    console.log(`listening for the socket plugin on ${host}:${port}`);
  });
} else if (kind === 'http') {
  createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      const f = new URLSearchParams(body);
      const fields = ['watchroot', 'isdir', 'inotifyPath', 'mask'].map(
        (k) => `${k}=${JSON.stringify(f.get(k))}`,
      );
      console.log(`${stamp()} http ${req.method ?? ''} ${req.url ?? ''} ${fields.join(' ')}`);
      res.end('ok\n');
    });
  }).listen(port, host, () => {
    console.log(`listening for the http plugin on http://${host}:${port}/`);
  });
} else {
  // refreshCDN: a HEAD request line; answer like the ChinaCache API so the plugin logs `whatsup: succeed`.
  createTcpServer((s) => {
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      got += d;
      if (!got.includes('\r\n\r\n')) return;
      const line = (got.split('\r\n')[0] ?? '').replace(/([?&]pswd=)[^&\s]*/, '$1***');
      console.log(`${stamp()} cdn ${line}`);
      s.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nwhatsup: succeed\n');
    });
    s.on('error', () => undefined);
  }).listen(port, host, () => {
    console.log(`listening for the refreshCDN plugin on ${host}:${port}`);
  });
}
