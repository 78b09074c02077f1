/**
 * Every payload the gateway hands Temporal (workflow inputs and results,
 * activity arguments and results, update arguments, memos) is encrypted with
 * AES-256-GCM, so history holds no prompt, answer or embedding in the clear.
 * The whole serialized Payload (metadata and data) is sealed, and the
 * envelope says only `encoding: binary/encrypted` and which key sealed it
 * (`encryption-key-id`), so keys can rotate: new payloads use the current key,
 * older ones still open with a retired key kept for decoding. Payloads that
 * are not encrypted (histories from before, or from other clients) pass
 * through decode untouched. Search attributes never go through a codec and
 * stay filterable.
 */
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createHash } from 'node:crypto';
import type { Config } from '../config';
import { decrypt, encrypt, KEY_BYTES, loadKey } from '../secretKey';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const ProtoPayload = temporal.api.common.v1.Payload;
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export interface CodecKey {
  id: string;
  key: Buffer;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly current: CodecKey, retired: CodecKey[] = []) {
    for (const k of [current, ...retired]) {
      if (k.key.length !== KEY_BYTES) throw new Error(`payload key "${k.id}" must be 32 bytes`);
      this.keys.set(k.id, k.key);
    }
  }

  /** REFLEX_PAYLOAD_KEY (else the `payload.key` file under REFLEX_HOME) and its retired predecessors. */
  static fromConfig(config: Pick<Config, 'home' | 'payload'>): EncryptionCodec {
    const key = loadKey(config.payload.key, config.home, 'payload.key');
    return new EncryptionCodec({ id: config.payload.keyId ?? fingerprint(key), key }, config.payload.oldKeys);
  }

  get keyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => ({
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: Buffer.from(this.current.id),
      },
      data: encrypt(this.current.key, ProtoPayload.encode(payload).finish()),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const id = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
      const key = this.keys.get(id);
      if (!key) throw new Error(`payload encrypted with unknown key id "${id}"; add that key to REFLEX_PAYLOAD_OLD_KEYS to read it`);
      let plain: Buffer;
      try {
        plain = decrypt(key, payload.data ?? new Uint8Array());
      } catch {
        throw new Error(`payload with key id "${id}" failed authentication: it was altered, or sealed with a different key under that id`);
      }
      return ProtoPayload.decode(plain);
    });
  }
}

/** The default key id: a short digest of the key, so a new key gets a new id without configuration. */
function fingerprint(key: Buffer): string {
  return createHash('sha256').update('reflex-payload-key-id').update(key).digest('hex').slice(0, 12);
}

/** The data converter every Temporal client and worker of the gateway uses. */
export function dataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec] };
}
