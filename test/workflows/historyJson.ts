/**
 * Workflow histories as JSON fixtures, in the canonical proto3 JSON that
 * `temporal workflow show --output json` and the Web UI's download produce.
 *
 * These do what historyToJSON/historyFromJSON in
 * @temporalio/common/lib/proto-utils do. Those helpers fail in this
 * dependency tree with "type must be a Type": the root protobufjs is 7.x
 * (Milvus, gRPC), so npm gives @temporalio/common and @temporalio/proto each
 * their own copy of protobufjs 8, and a message type from one copy fails the
 * other's instanceof check. Taking protojson from the copy @temporalio/proto
 * itself uses keeps type and serializer on one copy.
 */
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import path from 'node:path';

type History = proto.temporal.api.history.v1.IHistory;
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protojson: ProtoJson = require(require.resolve('protobufjs/ext/protojson', { paths: [path.dirname(require.resolve('@temporalio/proto'))] }));
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyToJSON(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 1);
}

export function historyFromJSON(json: string): History {
  const history = protojson.fromJson(historyType, JSON.parse(json), { ignoreUnknownFields: true }) as History | null;
  if (!history?.events?.length) throw new TypeError('not a workflow history (no events)');
  return history;
}
