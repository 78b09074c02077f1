/** Reads the test stack's Milvus directly, to check what the gateway indexed (or removed). */
import { MilvusClient } from '@zilliz/milvus2-sdk-node';

export class MilvusProbe {
  private readonly client: MilvusClient;

  constructor(address: string, private readonly collection = 'reflex_entries') {
    this.client = new MilvusClient({ address, __SKIP_CONNECT__: true, logLevel: 'error' });
  }

  /** Storage keys indexed for this tenant id (GatewayProcess.tenantOf gives a token's). */
  async keysOf(tenant: string): Promise<string[]> {
    const res = await this.client.query({
      collection_name: this.collection,
      // The collection's INT64 tenant field holds the tenant id's first 60 bits.
      filter: `tenant == ${BigInt(`0x${tenant.slice(0, 15)}`)}`,
      output_fields: ['storage_key'],
      limit: 1000,
    });
    return (res.data ?? []).map((r) => String(r.storage_key));
  }

  /** Removes one entry's vector behind the gateway's back, as a lost insert would leave it (storage keys are tenant/key). */
  async remove(tenant: string, key: string): Promise<void> {
    await this.client.delete({ collection_name: this.collection, filter: `storage_key in ["${tenant}/${key}"]` });
  }

  /** Whether an entry's vector is there (a strong read: a removal a moment ago is seen). */
  async has(tenant: string, key: string): Promise<boolean> {
    const res = await this.client.query({ collection_name: this.collection, filter: `storage_key in ["${tenant}/${key}"]`, output_fields: ['storage_key'], consistency_level: 'Strong' as never });
    return (res.data ?? []).length > 0;
  }

  async drop(): Promise<void> {
    await this.client.dropCollection({ collection_name: this.collection });
  }

  async close(): Promise<void> {
    await this.client.closeConnection();
  }
}
