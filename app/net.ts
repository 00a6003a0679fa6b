// Free loopback ports, so two runs on one machine never fight over a fixed port.
import net from 'node:net';
import { ConfigError } from './config';

export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Holds host:port until `release`: a port that is taken stops the command before anything starts,
 * and the embedded servers, which take free ports of their own, cannot be handed this one meanwhile.
 */
export function reservePort(host: string, port: number, setting: string): Promise<{ release(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new ConfigError(`${setting}: port ${port} on ${host} is in use; stop what holds it, or choose another port with ${setting}`) : err),
    );
    server.listen(port, host, () => resolve({ release: () => new Promise((done) => server.close(() => done())) }));
  });
}
