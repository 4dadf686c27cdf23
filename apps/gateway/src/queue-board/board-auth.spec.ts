import { describe, expect, it } from 'vitest';
import { checkBoardCredentials } from './board-auth';

const token = 'the-admin-token-of-this-gateway';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('checkBoardCredentials', () => {
  it('accepts the admin token as a bearer token or as the Basic password with any user name', () => {
    expect(checkBoardCredentials(`Bearer ${token}`, token)).toBe('ok');
    expect(checkBoardCredentials(`bearer   ${token}  `, token)).toBe('ok');
    expect(checkBoardCredentials(basic('admin', token), token)).toBe('ok');
    expect(checkBoardCredentials(basic('', token), token)).toBe('ok');
  });

  it('tells a missing token from a wrong one', () => {
    expect(checkBoardCredentials(undefined, token)).toBe('missing');
    expect(checkBoardCredentials('  ', token)).toBe('missing');
    expect(checkBoardCredentials(`Bearer ${token}x`, token)).toBe('invalid');
    expect(checkBoardCredentials('Bearer', token)).toBe('invalid');
    expect(checkBoardCredentials(basic(token, 'wrong'), token)).toBe('invalid');
    expect(checkBoardCredentials(`Basic ${Buffer.from(token).toString('base64')}`, token)).toBe('invalid');
    expect(checkBoardCredentials(`Digest ${token}`, token)).toBe('invalid');
    expect(checkBoardCredentials(token, token)).toBe('invalid');
  });
});
