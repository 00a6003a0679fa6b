// A test CA and the certificates it signs, as PEM files in a fresh folder: a server certificate for
// `localhost` and a client certificate, for the tests of the engine's TLS and mTLS to Temporal.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';

type Extensions = NonNullable<NonNullable<Parameters<typeof generate>[1]>['extensions']>;

export interface TestCertificates {
  /** The DNS name the server certificate is for. */
  serverName: string;
  pem: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
  files: { dir: string; ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
}

export async function testCertificates(serverName = 'localhost'): Promise<TestCertificates> {
  const ca = await generate([{ name: 'commonName', value: 'Nurture test CA' }], {
    keyType: 'ec', algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signed = (commonName: string, extensions: Extensions) => generate([{ name: 'commonName', value: commonName }], { keyType: 'ec', algorithm: 'sha256', ca: { key: ca.private, cert: ca.cert }, extensions });
  const server = await signed(serverName, [{ name: 'subjectAltName', altNames: [{ type: 2, value: serverName }] }, { name: 'extKeyUsage', serverAuth: true }]);
  const client = await signed('nurture worker', [{ name: 'extKeyUsage', clientAuth: true }]);
  const pem = { ca: ca.cert, serverCert: server.cert, serverKey: server.private, clientCert: client.cert, clientKey: client.private };
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'temporal-tls-'));
  const names = { ca: 'ca.pem', serverCert: 'server.pem', serverKey: 'server.key', clientCert: 'client.pem', clientKey: 'client.key' } as const;
  const files = Object.fromEntries(Object.entries(names).map(([key, name]) => [key, path.join(dir, name)])) as Record<keyof typeof names, string>;
  await Promise.all(Object.entries(files).map(([key, file]) => fs.writeFile(file, pem[key as keyof typeof names], { mode: 0o600 })));
  return { serverName, pem, files: { dir, ...files } };
}
