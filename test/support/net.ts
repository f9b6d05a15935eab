/** TCP ports for servers that tests start. */
import * as net from 'node:net';

/** A TCP port free on 127.0.0.1 right now, for a child process to listen on. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True when a server can listen on `port` of 127.0.0.1 now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port for a server that binds a fixed port some time after the pick (an embedded PostgreSQL):
 * below Linux's ephemeral range (32768-60999), so no outgoing connection of another process can
 * take it meanwhile, as one did to a pid-derived port in that range on a loaded machine; the pid
 * spreads parallel test files apart, and ports some listener already holds are skipped.
 */
export async function serverPort(): Promise<number> {
  const first = 20000 + (process.pid % 10000);
  for (let port = first; port < first + 200; port++) if (await canListen(port)) return port;
  throw new Error(`no free port in ${first}-${first + 199} on 127.0.0.1`);
}
