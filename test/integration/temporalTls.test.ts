// The engine's connections to a frontend that takes TLS and checks client certificates (mTLS), as
// Temporal Cloud or a secured cluster does: a TLS terminator on loopback, with certificates from a
// test CA, in front of the dev server; the engine set up by TEMPORAL_TLS_* alone.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { NativeConnection } from '@temporalio/worker';
import { generate } from 'selfsigned';
import { parseConfig, temporalSecurity } from '../../app/config';
import { temporalTarget, withClient } from '../../cli/history';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-tls-'));
const file = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
let terminator: tls.Server;
type Extensions = NonNullable<NonNullable<Parameters<typeof generate>[1]>['extensions']>;
let env: Record<string, string>;

beforeAll(async () => {
  const ca = await generate([{ name: 'commonName', value: 'Nurture test CA' }], {
    keyType: 'ec', algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signed = (commonName: string, extensions: Extensions) => generate([{ name: 'commonName', value: commonName }], { keyType: 'ec', algorithm: 'sha256', ca: { key: ca.private, cert: ca.cert }, extensions });
  const server = await signed('localhost', [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }, { name: 'extKeyUsage', serverAuth: true }]);
  const client = await signed('nurture worker', [{ name: 'extKeyUsage', clientAuth: true }]);
  const [host, port] = process.env.TEMPORAL_ADDRESS!.split(':') as [string, string];
  // gRPC over TLS needs HTTP/2 by ALPN; a client without a certificate the CA signed is turned away.
  terminator = tls.createServer({ key: server.private, cert: server.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] }, (socket) => {
    const upstream = net.connect(Number(port), host);
    socket.pipe(upstream).pipe(socket);
    const close = () => (socket.destroy(), upstream.destroy());
    socket.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', resolve));
  env = {
    TEMPORAL_ADDRESS: `localhost:${(terminator.address() as net.AddressInfo).port}`,
    TEMPORAL_TLS_CA: file('ca.pem', ca.cert),
    TEMPORAL_TLS_CERT: file('client.pem', client.cert),
    TEMPORAL_TLS_KEY: file('client.key', client.private),
  };
});

afterAll(async () => {
  await new Promise((resolve) => (terminator ? terminator.close(resolve) : resolve(undefined)));
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
  expect(() => temporalTarget({ ...env, TEMPORAL_TLS_CA: path.join(dir, 'missing.pem') })).toThrow(`TEMPORAL_TLS_CA: cannot read ${path.join(dir, 'missing.pem')}`);
});
