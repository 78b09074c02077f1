/**
 * The semantic index in Milvus: one BINARY_VECTOR (sign bits of the
 * embedding) per entry, HAMMING metric, scalar fields to filter by tenant,
 * model and context. The collection is created on first use; a later call
 * after a Milvus outage simply tries again.
 */
import { ConsistencyLevelEnum, DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { EntryAddress, IndexHit, IndexRecord, SearchFilter, VectorIndex, VectorIndexError } from './index';

/**
 * The binary index Milvus builds: BIN_FLAT scans every vector of the filtered
 * set (exact HAMMING order, no training); BIN_IVF_FLAT clusters vectors into
 * `nlist` lists and scans the `nprobe` nearest lists (sublinear, approximate).
 * Milvus Lite 2.5 builds only BIN_FLAT (see BENCHMARKS.md, scale).
 */
export interface BinaryIndexSpec {
  type: 'BIN_FLAT' | 'BIN_IVF_FLAT';
  nlist: number;
  nprobe: number;
}

export const DEFAULT_BINARY_INDEX: BinaryIndexSpec = { type: 'BIN_FLAT', nlist: 1024, nprobe: 16 };

export interface MilvusIndexOptions {
  address: string;
  collection: string;
  dim: number;
  timeoutMs: number;
  index?: BinaryIndexSpec;
}

const OK = 0;
const VECTOR_FIELD = 'bits';

export class MilvusIndex implements VectorIndex {
  private readonly client: MilvusClient;
  private ready: Promise<void> | undefined;

  constructor(private readonly options: MilvusIndexOptions) {
    this.client = new MilvusClient({
      address: options.address,
      timeout: options.timeoutMs,
      maxRetries: 0,
      logLevel: 'error',
      // Milvus Lite answers no Connect handshake we need, and a failed eager
      // connect would reject a promise nobody awaits.
      __SKIP_CONNECT__: true,
      // Notice a restarted Milvus within seconds, not gRPC's default two minutes.
      channelOptions: { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 2000 },
    });
  }

  async upsert(records: IndexRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensureCollection();
    const res = await this.client.upsert({
      collection_name: this.options.collection,
      data: records.map((record) => ({
        storage_key: primaryKey(record),
        tenant: tenantHint(record.tenant).toString(),
        model: record.model,
        context: record.context,
        created_at: record.createdAt,
        [VECTOR_FIELD]: Array.from(record.bits),
      })),
    });
    check(res.status, 'upsert');
  }

  async delete(addresses: EntryAddress[]): Promise<void> {
    if (addresses.length === 0) return;
    await this.deleteWhere(`storage_key in [${addresses.map((a) => `"${primaryKey(a)}"`).join(', ')}]`);
  }

  /** One query by primary key; Strong consistency, so an upsert acknowledged a moment ago is seen. */
  async present(addresses: EntryAddress[]): Promise<Set<string>> {
    if (addresses.length === 0) return new Set();
    await this.ensureCollection();
    const res = await this.client.query({
      collection_name: this.options.collection,
      filter: `storage_key in [${addresses.map((a) => `"${primaryKey(a)}"`).join(', ')}]`,
      output_fields: ['storage_key'],
      limit: addresses.length,
      consistency_level: ConsistencyLevelEnum.Strong,
    });
    check(res.status, 'query');
    return new Set(res.data.map((row) => String(row.storage_key)));
  }

  async deleteTenant(tenant: string): Promise<void> {
    await this.deleteWhere(`tenant == ${tenantHint(tenant)}`);
  }

  async deleteCreatedBefore(ms: number): Promise<void> {
    await this.deleteWhere(`created_at < ${Math.floor(ms)}`);
  }

  async drop(): Promise<void> {
    this.ready = undefined;
    check(await this.client.dropCollection({ collection_name: this.options.collection }), 'dropCollection');
  }

  private async deleteWhere(filter: string): Promise<void> {
    await this.ensureCollection();
    const res = await this.client.delete({ collection_name: this.options.collection, filter });
    check(res.status, 'delete');
  }

  async search(bits: Buffer, filter: SearchFilter, limit: number): Promise<IndexHit[]> {
    await this.ensureCollection();
    const res = await this.client.search({
      collection_name: this.options.collection,
      anns_field: VECTOR_FIELD,
      data: [Array.from(bits)],
      limit,
      metric_type: 'HAMMING',
      ...(this.indexSpec.type === 'BIN_IVF_FLAT' ? { params: { nprobe: this.indexSpec.nprobe } } : {}),
      // The context hash already covers the model; it is hex, so no user text
      // ever reaches the filter expression.
      filter: `tenant == ${tenantHint(filter.tenant)} and context == "${hex(filter.context)}"${filter.createdAfter ? ` and created_at >= ${Math.floor(filter.createdAfter)}` : ''}`,
      output_fields: ['storage_key'],
    });
    check(res.status, 'search');
    return res.results.map((r) => ({ ...addressOf(String(r.storage_key ?? r.id)), hamming: Number(r.score) }));
  }

  /** A cheap call Milvus Lite implements (it has no CheckHealth). */
  async check(): Promise<void> {
    await this.ensureCollection();
    const res = await this.client.getLoadState({ collection_name: this.options.collection });
    check(res.status, 'getLoadState');
  }

  async close(): Promise<void> {
    await this.client.closeConnection();
  }

  private ensureCollection(): Promise<void> {
    this.ready ??= this.createIfMissing().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private get indexSpec(): BinaryIndexSpec {
    return this.options.index ?? DEFAULT_BINARY_INDEX;
  }

  private async createIfMissing(): Promise<void> {
    const name = this.options.collection;
    const described = await this.client.describeCollection({ collection_name: name });
    // Milvus Lite answers "Success" with no schema for a collection it lacks.
    if (described.status.code === OK && described.schema) {
      this.assertDim(described.schema.fields.find((f) => f.name === VECTOR_FIELD)?.type_params);
    } else {
      const created = await this.client.createCollection({
        collection_name: name,
        fields: [
          { name: 'storage_key', data_type: DataType.VarChar, is_primary_key: true, max_length: 128 },
          { name: 'tenant', data_type: DataType.Int64 },
          { name: 'model', data_type: DataType.VarChar, max_length: 256 },
          { name: 'context', data_type: DataType.VarChar, max_length: 64 },
          { name: 'created_at', data_type: DataType.Int64 },
          { name: VECTOR_FIELD, data_type: DataType.BinaryVector, dim: this.options.dim },
        ],
      });
      check(created, 'createCollection');
      check(
        await this.client.createIndex({
          collection_name: name,
          field_name: VECTOR_FIELD,
          index_type: this.indexSpec.type,
          metric_type: 'HAMMING',
          ...(this.indexSpec.type === 'BIN_IVF_FLAT' ? { params: { nlist: this.indexSpec.nlist } } : {}),
        }),
        'createIndex',
      );
      // The SDK caches descriptions (insert/search read the cached schema); replace
      // the empty one cached before the collection existed.
      await this.client.describeCollection({ collection_name: name });
    }
    check(await this.client.loadCollection({ collection_name: name }), 'loadCollection');
  }

  private assertDim(typeParams: { key: string; value: unknown }[] | undefined): void {
    const dim = Number(typeParams?.find((p) => p.key === 'dim')?.value);
    if (dim !== this.options.dim) {
      throw new VectorIndexError(
        `collection ${this.options.collection} holds ${dim}-bit vectors but the model makes ${this.options.dim}; run \`reflex reindex\``,
      );
    }
  }
}

function check(status: { code?: number; error_code?: string | number; reason?: string }, op: string): void {
  // The numeric code decides when there is one: Milvus Lite refuses an index type with
  // code 65535 but error_code "Success".
  const ok = typeof status.code === 'number' ? status.code === OK : status.error_code === 'Success';
  if (ok) return;
  throw new VectorIndexError(`milvus ${op} failed: ${status.reason || JSON.stringify(status)}`);
}

/** The primary key: tenant/key, both hex, so safe to quote in a filter. */
const primaryKey = (a: EntryAddress) => `${hex(a.tenant)}/${hex(a.key)}`;

function addressOf(primary: string): EntryAddress {
  const [tenant = '', key = ''] = primary.split('/');
  return { tenant, key };
}

/** The INT64 filter field: the tenant id's first 60 bits (an index hint; loaded entries are re-checked). */
const tenantHint = (tenant: string) => BigInt(`0x${hex(tenant).slice(0, 15)}`);

function hex(s: string): string {
  if (!/^[0-9a-f]+$/.test(s)) throw new VectorIndexError('tenant, key and context must be hex');
  return s;
}
