import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenError, generateToken, readTokenFile, resolveToken } from '../../src/server/token.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ballast-token-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generateToken', () => {
  it('is 32 random bytes, URL-safe base64 without padding', () => {
    const tokens = new Set(Array.from({ length: 50 }, generateToken));
    expect(tokens.size).toBe(50);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
  });
});

describe('resolveToken', () => {
  it('prefers BALLAST_API_TOKEN', async () => {
    const token = generateToken();
    const file = path.join(dir, 'unused');
    expect(await resolveToken({ env: { BALLAST_API_TOKEN: ` ${token}\n` }, file })).toEqual({
      token,
      source: 'env',
      file: null,
    });
    await expect(stat(file)).rejects.toThrow();
  });

  it('refuses a weak token from the environment without echoing it', async () => {
    const attempt = resolveToken({ env: { BALLAST_API_TOKEN: 'hunter2' } });
    await expect(attempt).rejects.toBeInstanceOf(TokenError);
    await expect(attempt).rejects.toThrow(/BALLAST_API_TOKEN: the token is 7 characters, at least 16/);
    await expect(attempt).rejects.not.toThrow(/hunter2/);
  });

  it('reads a 0600 file', async () => {
    const token = generateToken();
    const file = path.join(dir, 'ok.token');
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    expect(await resolveToken({ env: {}, file })).toEqual({ token, source: 'file', file });
    await chmod(file, 0o400);
    expect(await readTokenFile(file)).toBe(token);
  });

  it.each([0o640, 0o604, 0o644, 0o660, 0o602])(
    'refuses a file with mode %o, saying how to fix it',
    async (mode) => {
      const token = generateToken();
      const file = path.join(dir, `loose-${mode.toString(8)}.token`);
      await writeFile(file, token);
      await chmod(file, mode);
      const attempt = resolveToken({ env: {}, file });
      await expect(attempt).rejects.toBeInstanceOf(TokenError);
      await expect(attempt).rejects.toThrow(
        new RegExp(`mode ${mode.toString(8)} lets group or others read or write it.*chmod 600`),
      );
      await expect(attempt).rejects.not.toThrow(token);
    },
  );

  it('refuses an empty or short token file', async () => {
    const empty = path.join(dir, 'empty.token');
    await writeFile(empty, '\n', { mode: 0o600 });
    await expect(readTokenFile(empty)).rejects.toThrow(/empty/);
    const short = path.join(dir, 'short.token');
    await writeFile(short, 'abc', { mode: 0o600 });
    await expect(readTokenFile(short)).rejects.toThrow(/at least 16/);
  });

  it('creates a 0600 file with a new token when none exists, and reads it back next time', async () => {
    const file = path.join(dir, 'new', 'api.token');
    const first = await resolveToken({ env: {}, file });
    expect(first.source).toBe('generated');
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.token);
    const second = await resolveToken({ env: {}, file });
    expect(second).toEqual({ token: first.token, source: 'file', file });
  });

  it('with create: false, says where it looked', async () => {
    await expect(resolveToken({ env: {}, create: false })).rejects.toThrow(/set BALLAST_API_TOKEN/);
    await expect(resolveToken({ env: {}, file: path.join(dir, 'absent'), create: false })).rejects.toThrow(
      /does not exist/,
    );
  });
});
