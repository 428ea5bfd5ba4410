/** `edgeqc keygen`: a development signing key pair (never for production: use AWS KMS). */
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';
import { type DevKeyType, generateDevKeyPair } from '../sign/signers.ts';
import type { Command, CommandIo } from './command.ts';

const HELP = `usage: edgeqc keygen --out <dir> [--type ed25519|ecdsa-p256] [--name <base>] [--force]

Writes <dir>/<base>.key (PKCS#8 private key, mode 0600) and <dir>/<base>.pub (SPKI public key; give it
to the agent as a trusted key). Default type ed25519, default base name edgeqc-signing.
`;

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      out: { type: 'string' },
      type: { type: 'string', default: 'ed25519' },
      name: { type: 'string', default: 'edgeqc-signing' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (!values.out) throw new UsageError('USAGE', '--out <dir> is required (edgeqc keygen --help)');
  if (values.type !== 'ed25519' && values.type !== 'ecdsa-p256') {
    throw new UsageError('USAGE', `--type '${values.type}': expected ed25519 or ecdsa-p256`);
  }
  if (!/^[A-Za-z0-9._-]+$/.test(values.name))
    throw new UsageError('USAGE', `--name '${values.name}': expected a plain file name`);
  const keyPath = join(values.out, `${values.name}.key`);
  const pubPath = join(values.out, `${values.name}.pub`);
  const present = await stat(keyPath).then(
    () => true,
    () => false,
  );
  if (present && !values.force) throw new UsageError('USAGE', `${keyPath} exists; pass --force to replace it`);
  const pair = generateDevKeyPair(values.type as DevKeyType);
  await mkdir(values.out, { recursive: true });
  await writeFile(keyPath, pair.privateKeyPem, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  await writeFile(pubPath, pair.publicKeyPem);
  io.stdout.write(`private key ${keyPath}\npublic key  ${pubPath}\nkey id      ${pair.keyId}\n`);
  return 0;
}

export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'make a development signing key pair (Ed25519 or ECDSA P-256)',
  async run(argv, io) {
    try {
      return await run(argv, io);
    } catch (err) {
      if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        io.stderr.write(`edgeqc keygen: ${(err as Error).message}\n`);
        return 2;
      }
      throw err;
    }
  },
};
