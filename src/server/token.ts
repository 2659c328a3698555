/**
 * The operator token: what `Authorization: Bearer <token>` must carry for the API's commands.
 *
 * It comes from the environment (`BALLAST_API_TOKEN`), else from a file only its owner can read
 * (mode 0600 or stricter; a file that group or others can read is refused, not silently used),
 * else it is generated (32 random bytes, base64url) and, when a file is named, written there with
 * mode 0600 so the next start uses the same one.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';

/** The environment variable the token is read from first. */
export const TOKEN_ENV = 'BALLAST_API_TOKEN';

/** The shortest token accepted (a generated one is 43 characters). */
export const MIN_TOKEN_LENGTH = 16;

/** A token that cannot be used, or a token file that must not be. Never carries the token. */
export class TokenError extends Error {
  override name = 'TokenError';
}

/** A new token: 32 bytes from the system's CSPRNG, URL-safe base64 without padding (43 chars). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Checks a token's form; throws `TokenError` saying what is wrong (without repeating it). */
export function checkToken(token: string, source: string): string {
  if (token.length < MIN_TOKEN_LENGTH)
    throw new TokenError(
      `${source}: the token is ${token.length} characters, at least ${MIN_TOKEN_LENGTH} needed`,
    );
  if (!/^[\x21-\x7e]+$/.test(token))
    throw new TokenError(`${source}: the token must be printable ASCII without spaces`);
  return token;
}

/**
 * Reads a token file. Refuses a file that group or others may read or write (the mode is
 * checked on the opened file, so a swap between check and read cannot slip through), one owned
 * by another user, and one that is not a regular file.
 */
export async function readTokenFile(file: string): Promise<string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TokenError(`token file ${file}: cannot open (${code ?? String(error)})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new TokenError(`token file ${file}: not a regular file`);
    if (process.platform !== 'win32') {
      const loose = stat.mode & 0o077;
      if (loose !== 0) {
        const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
        throw new TokenError(
          `token file ${file}: mode ${mode} lets group or others read or write it; ` +
            `it must be readable only by its owner (chmod 600 ${file})`,
        );
      }
      const uid = process.getuid?.();
      if (uid !== undefined && stat.uid !== uid)
        throw new TokenError(`token file ${file}: owned by uid ${stat.uid}, not by this user (uid ${uid})`);
    }
    const text = (await handle.readFile({ encoding: 'utf8' })).trim();
    if (text === '') throw new TokenError(`token file ${file}: empty`);
    return checkToken(text, `token file ${file}`);
  } finally {
    await handle.close();
  }
}

/** Writes a token to a new file with mode 0600 (its directory 0700 if created); never overwrites. */
export async function writeTokenFile(file: string, token: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const handle = await fs.open(file, 'wx', 0o600);
  try {
    await handle.writeFile(`${token}\n`, 'utf8');
  } finally {
    await handle.close();
  }
}

export interface ResolvedToken {
  token: string;
  source: 'env' | 'file' | 'generated';
  /** The file it was read from or written to, when there was one. */
  file: string | null;
}

export interface ResolveTokenOptions {
  /** The environment to read `BALLAST_API_TOKEN` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** A token file: read when it exists; written with a new token when it does not and `create`. */
  file?: string;
  /** Generate a token when neither the environment nor the file has one (default true). */
  create?: boolean;
}

/**
 * The token to use: the environment's, else the file's, else a new one (written to the file when
 * one is named). Throws `TokenError` for a bad token, a loosely permitted file, or when nothing
 * is found and `create` is false.
 */
export async function resolveToken(options: ResolveTokenOptions = {}): Promise<ResolvedToken> {
  const env = options.env ?? process.env;
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv !== undefined && fromEnv !== '') {
    return { token: checkToken(fromEnv, TOKEN_ENV), source: 'env', file: null };
  }
  const create = options.create ?? true;
  if (options.file !== undefined) {
    const exists = await fs
      .lstat(options.file)
      .then(() => true)
      .catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw new TokenError(`token file ${options.file}: cannot read (${error.code ?? String(error)})`);
      });
    if (exists) return { token: await readTokenFile(options.file), source: 'file', file: options.file };
    if (!create)
      throw new TokenError(`token file ${options.file}: does not exist and ${TOKEN_ENV} is not set`);
    const token = generateToken();
    await writeTokenFile(options.file, token);
    return { token, source: 'generated', file: options.file };
  }
  if (!create) throw new TokenError(`no API token: set ${TOKEN_ENV} or name a token file`);
  return { token: generateToken(), source: 'generated', file: null };
}
