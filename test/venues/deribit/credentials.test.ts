/** Deribit keys from the environment or an owner-only file; errors never repeat the secret. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CredentialsError, loadDeribitCredentials } from '../../../src/venues/deribit/credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'ballast-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'very-secret-value-123';

describe('loadDeribitCredentials', () => {
  it('takes the environment first, then an owner-only file', () => {
    expect(
      loadDeribitCredentials({ env: { DERIBIT_CLIENT_ID: 'id', DERIBIT_CLIENT_SECRET: SECRET } }),
    ).toEqual({
      clientId: 'id',
      clientSecret: SECRET,
      source: 'env',
    });
    const file = join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify({ client_id: 'fid', client_secret: SECRET }));
    chmodSync(file, 0o600);
    expect(loadDeribitCredentials({ env: {}, file })).toMatchObject({ clientId: 'fid', source: 'file' });
  });

  it('refuses a file others can read, a missing one, a malformed one, without repeating the secret', () => {
    const loose = join(dir, 'loose.json');
    writeFileSync(loose, JSON.stringify({ client_id: 'x', client_secret: SECRET }));
    chmodSync(loose, 0o644);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, `{"client_secret": "${SECRET}"`);
    chmodSync(bad, 0o600);
    for (const [file, pattern] of [
      [loose, /readable by others \(chmod 600/],
      [join(dir, 'none.json'), /cannot be read/],
      [bad, /not JSON/],
    ] as const) {
      let message = '';
      try {
        loadDeribitCredentials({ env: {}, file });
      } catch (error) {
        expect(error).toBeInstanceOf(CredentialsError);
        message = (error as Error).message;
      }
      expect(message).toMatch(pattern);
      expect(message).not.toContain(SECRET);
    }
    expect(() => loadDeribitCredentials({ env: {} })).toThrow(/DERIBIT_CLIENT_ID/);
  });
});
