/**
 * The cost profile of a stored password hash: its algorithm and the
 * parameters that decide how long a verification takes, without salt or
 * digest (`argon2id$v=19$m=19456,t=2,p=1`, `bcrypt$10`). Users keep it in
 * a column next to the hash, so that the profiles present in a connection
 * are a few index seeks away (see hashProfilesOf): a failed login is padded
 * to the slowest of them, so timing does not tell which users exist or were
 * imported. Null for a hash no verifier accepts (it fails at once).
 */
export function hashProfile(stored: string | null | undefined): string | null {
  if (!stored) return null;
  const bcrypt = /^\$2[abxy]?\$(\d\d)\$/.exec(stored);
  if (bcrypt) return `bcrypt$${bcrypt[1]}`;
  const argon = /^\$(argon2(?:id|i|d))\$(?:v=(\d+)\$)?m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
  if (argon) return `${argon[1]}$v=${argon[2] ?? '16'}$m=${argon[3]},t=${argon[4]},p=${argon[5]}`;
  return null;
}
