import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config.js';

export interface TlsCredentials {
  cert: Buffer;
  key: Buffer;
}

async function readSetting(variable: string, path: string): Promise<Buffer | string> {
  try {
    return await readFile(path);
  } catch (error) {
    return `${variable}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`;
  }
}

/**
 * Reads TLS_CERT_FILE and TLS_KEY_FILE and checks that they are a PEM certificate (chain) and its
 * private key, so that a wrong file stops start-up with a message naming the variables rather than
 * with OpenSSL's stack trace from inside the server.
 */
export async function readTlsCredentials(files: {
  certFile: string;
  keyFile: string;
}): Promise<TlsCredentials> {
  const [cert, key] = await Promise.all([
    readSetting('TLS_CERT_FILE', files.certFile),
    readSetting('TLS_KEY_FILE', files.keyFile),
  ]);
  const unreadable = [cert, key].filter((read): read is string => typeof read === 'string');
  if (unreadable.length > 0) throw new ConfigError(unreadable);
  const credentials = { cert: cert as Buffer, key: key as Buffer };
  try {
    createSecureContext(credentials);
  } catch (error) {
    throw new ConfigError([
      `TLS_CERT_FILE, TLS_KEY_FILE: not a PEM certificate and its private key (${(error as Error).message})`,
    ]);
  }
  return credentials;
}
