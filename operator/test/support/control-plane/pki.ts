import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The names kube-apiserver answers to: loopback, and the in-cluster names of the kubernetes Service. */
const SERVING_NAMES = [
  'IP:127.0.0.1',
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
  'IP:10.96.0.1',
];

/** Who each bearer token is: a user, a uid and the groups it belongs to (RBAC decides the rest). */
export const IDENTITIES = {
  admin: { user: 'skeleton-admin', groups: ['system:masters'] },
  'kube-controller-manager': { user: 'system:kube-controller-manager', groups: [] },
  'kube-scheduler': { user: 'system:kube-scheduler', groups: [] },
  kwok: { user: 'kwok-controller', groups: ['system:masters'] },
} as const;
export type Identity = keyof typeof IDENTITIES;

export interface Pki {
  caCert: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
  tokenFile: string;
  tokens: Record<Identity, string>;
}

/** kube-apiserver's static token file: `token,user,uid,"group,group"`. */
export function tokenFileLines(tokens: Record<Identity, string>): string {
  return (Object.keys(IDENTITIES) as Identity[])
    .map((identity) => {
      const { user, groups } = IDENTITIES[identity];
      return `${tokens[identity]},${user},${user},"${groups.join(',')}"`;
    })
    .join('\n')
    .concat('\n');
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT')
      throw new Error('the control plane needs openssl to make its certificates');
    throw new Error(`openssl ${args[0]} failed: ${failure.stderr ?? failure.message}`);
  }
}

/**
 * A throw-away certificate authority, kube-apiserver's serving certificate signed by it, the service
 * account signing key pair and one bearer token per component: everything made fresh for each `up`.
 */
export async function createPki(dir: string): Promise<Pki> {
  const at = (name: string) => join(dir, name);
  // Arguments without spaces in them, so each command reads as it would be typed.
  await openssl(
    'req -x509 -newkey rsa:2048 -nodes -days 30 -keyout ca.key -out ca.crt -subj /CN=skeleton-test-ca'
      .concat(' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign')
      .split(' '),
    dir,
  );
  await openssl(
    'req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver'.split(
      ' ',
    ),
    dir,
  );
  await writeFile(
    at('apiserver.ext'),
    [
      `subjectAltName=${SERVING_NAMES.join(',')}`,
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ].join('\n'),
  );
  await openssl(
    'x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out apiserver.crt'
      .concat(' -extfile apiserver.ext')
      .split(' '),
    dir,
  );
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await writeFile(at('sa.key'), privateKey, { mode: 0o600 });
  await writeFile(at('sa.pub'), publicKey);
  const tokens = Object.fromEntries(
    (Object.keys(IDENTITIES) as Identity[]).map((identity) => [identity, randomBytes(24).toString('hex')]),
  ) as Record<Identity, string>;
  await writeFile(at('tokens.csv'), tokenFileLines(tokens), { mode: 0o600 });
  return {
    caCert: at('ca.crt'),
    servingCert: at('apiserver.crt'),
    servingKey: at('apiserver.key'),
    serviceAccountKey: at('sa.key'),
    serviceAccountPublicKey: at('sa.pub'),
    tokenFile: at('tokens.csv'),
    tokens,
  };
}
