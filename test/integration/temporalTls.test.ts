// The engine's connections to a frontend that takes TLS and checks client certificates (mTLS), as
// Temporal Cloud or a secured cluster does: a TLS terminator on loopback, with certificates from a
// test CA, in front of the dev server; the engine set up by TEMPORAL_TLS_* alone.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { NativeConnection } from '@temporalio/worker';
import { parseConfig, temporalSecurity } from '../../app/config';
import { temporalTarget, withClient } from '../../cli/history';
import { testCertificates, type TestCertificates } from '../support/testCertificates';

let terminator: tls.Server;
let env: Record<string, string>;
let certificates: TestCertificates;

beforeAll(async () => {
  certificates = await testCertificates();
  const { pem, files } = certificates;
  const [host, port] = process.env.TEMPORAL_ADDRESS!.split(':') as [string, string];
  // gRPC over TLS needs HTTP/2 by ALPN; a client without a certificate the CA signed is turned away.
  terminator = tls.createServer({ key: pem.serverKey, cert: pem.serverCert, ca: pem.ca, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] }, (socket) => {
    const upstream = net.connect(Number(port), host);
    socket.pipe(upstream).pipe(socket);
    const close = () => (socket.destroy(), upstream.destroy());
    socket.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', resolve));
  env = {
    TEMPORAL_ADDRESS: `localhost:${(terminator.address() as net.AddressInfo).port}`,
    TEMPORAL_TLS_CA: files.ca,
    TEMPORAL_TLS_CERT: files.clientCert,
    TEMPORAL_TLS_KEY: files.clientKey,
  };
});

afterAll(async () => {
  await new Promise((resolve) => (terminator ? terminator.close(resolve) : resolve(undefined)));
  if (certificates) fs.rmSync(certificates.files.dir, { recursive: true, force: true });
});

it('reaches the frontend over mTLS from the client and the workers, set up by TEMPORAL_TLS_* alone', async () => {
  const info = await withClient(temporalTarget(env), (client) => client.workflowService.getSystemInfo({}));
  expect(info.serverVersion).toMatch(/^\d+\.\d+/);
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS!, ...temporalSecurity(parseConfig(env)) });
  await connection.close();
});

it('is turned away without the client certificate, and names a missing half of the pair', async () => {
  const { TEMPORAL_TLS_CERT: _cert, TEMPORAL_TLS_KEY: _key, ...serverOnly } = env;
  await expect(withClient(temporalTarget(serverOnly), (client) => client.workflowService.getSystemInfo({}))).rejects.toThrow('cannot reach Temporal');
  expect(() => temporalTarget({ ...serverOnly, TEMPORAL_TLS_CERT: env.TEMPORAL_TLS_CERT! })).toThrow('TEMPORAL_TLS_KEY: must be set with TEMPORAL_TLS_CERT (mTLS takes both)');
  expect(() => temporalTarget({ ...env, TEMPORAL_TLS_CA: path.join(certificates.files.dir, 'missing.pem') })).toThrow(`TEMPORAL_TLS_CA: cannot read ${path.join(certificates.files.dir, 'missing.pem')}`);
});
