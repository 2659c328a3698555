/**
 * Deribit API keys for `ballast run`: from the environment (`DERIBIT_CLIENT_ID`,
 * `DERIBIT_CLIENT_SECRET`) or a JSON file `{"client_id": ..., "client_secret": ...}` readable by
 * its owner only (mode 0600 or stricter, owned by the user running Ballast). Errors name the
 * source and never repeat the secret.
 */
import { readFileSync, statSync } from 'node:fs';

import { BallastError } from '../../model/errors.js';

export const CLIENT_ID_ENV = 'DERIBIT_CLIENT_ID';
export const CLIENT_SECRET_ENV = 'DERIBIT_CLIENT_SECRET';

export class CredentialsError extends BallastError {
  override readonly name = 'CredentialsError';
}

export interface DeribitCredentials {
  clientId: string;
  clientSecret: string;
  source: 'env' | 'file';
}

/** The keys: the environment's when both are set, else the file's. */
export function loadDeribitCredentials(
  options: { env?: NodeJS.ProcessEnv; file?: string } = {},
): DeribitCredentials {
  const env = options.env ?? process.env;
  const id = env[CLIENT_ID_ENV]?.trim();
  const secret = env[CLIENT_SECRET_ENV]?.trim();
  if (id !== undefined && id !== '' && secret !== undefined && secret !== '')
    return { clientId: id, clientSecret: secret, source: 'env' };
  const file = options.file;
  if (file === undefined)
    throw new CredentialsError(
      `no Deribit keys: set ${CLIENT_ID_ENV} and ${CLIENT_SECRET_ENV}, or deribit.credentials_file in the configuration`,
    );
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new CredentialsError(`credentials file ${file}: cannot be read`);
  }
  if (!stat.isFile()) throw new CredentialsError(`credentials file ${file}: not a regular file`);
  if ((stat.mode & 0o077) !== 0)
    throw new CredentialsError(`credentials file ${file}: readable by others (chmod 600 ${file})`);
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid())
    throw new CredentialsError(`credentials file ${file}: owned by another user`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new CredentialsError(`credentials file ${file}: not JSON`);
  }
  const o = data as { client_id?: unknown; client_secret?: unknown };
  if (
    typeof o.client_id !== 'string' ||
    o.client_id === '' ||
    typeof o.client_secret !== 'string' ||
    o.client_secret === ''
  )
    throw new CredentialsError(
      `credentials file ${file}: expected {"client_id": "...", "client_secret": "..."}`,
    );
  return { clientId: o.client_id, clientSecret: o.client_secret, source: 'file' };
}
