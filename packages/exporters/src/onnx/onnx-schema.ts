/**
 * @file The subset of the ONNX protobuf schema (`onnx.proto`, package `onnx`) that the exporter writes
 * and reads, as a protobufjs JSON descriptor.
 *
 * Message names, field names (camelCase, as protobufjs spells them) and field numbers follow the
 * official schema of the ONNX project; fields the exporter never uses (sparse tensors, training info,
 * functions, quantisation annotations, segments) are left out. protobufjs skips unknown fields when it
 * decodes, so files written by other tools still decode. Encoding and decoding are done by protobufjs
 * from this descriptor; nothing here touches the wire format by hand.
 *
 * @module onnx/onnx-schema
 */
import protobuf from 'protobufjs/light.js';

const repeated = (type: string, id: number, packed = false) =>
  packed ? { rule: 'repeated', type, id, options: { packed: true } } : { rule: 'repeated', type, id };

/** protobufjs JSON descriptor of the ONNX messages used here. */
export const ONNX_SCHEMA_JSON = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            refAttrName: { type: 'string', id: 21 },
            docString: { type: 'string', id: 13 },
            type: { type: 'AttributeType', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: repeated('float', 7, true),
            ints: repeated('int64', 8, true),
            strings: repeated('bytes', 9),
            tensors: repeated('TensorProto', 10),
            graphs: repeated('GraphProto', 11),
          },
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0,
                FLOAT: 1,
                INT: 2,
                STRING: 3,
                TENSOR: 4,
                GRAPH: 5,
                FLOATS: 6,
                INTS: 7,
                STRINGS: 8,
                TENSORS: 9,
                GRAPHS: 10,
                SPARSE_TENSOR: 11,
                SPARSE_TENSORS: 12,
              },
            },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            attribute: repeated('AttributeProto', 5),
            docString: { type: 'string', id: 6 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: repeated('OperatorSetIdProto', 8),
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            metadataProps: repeated('StringStringEntryProto', 14),
          },
        },
        StringStringEntryProto: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: { type: 'string', id: 2 },
            initializer: repeated('TensorProto', 5),
            docString: { type: 'string', id: 10 },
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
            valueInfo: repeated('ValueInfoProto', 13),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1, true),
            dataType: { type: 'int32', id: 2 },
            floatData: repeated('float', 4, true),
            int32Data: repeated('int32', 5, true),
            stringData: repeated('bytes', 6),
            int64Data: repeated('int64', 7, true),
            name: { type: 'string', id: 8 },
            docString: { type: 'string', id: 12 },
            rawData: { type: 'bytes', id: 9 },
            externalData: repeated('StringStringEntryProto', 13),
            dataLocation: { type: 'int32', id: 14 },
            doubleData: repeated('double', 10, true),
            uint64Data: repeated('uint64', 11, true),
          },
        },
        TensorShapeProto: {
          fields: {
            dim: repeated('Dimension', 1),
          },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: {
            tensorType: { type: 'Tensor', id: 1 },
            denotation: { type: 'string', id: 6 },
          },
          nested: {
            Tensor: {
              fields: {
                elemType: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
      },
    },
  },
} as const;

/** ONNX `TensorProto.DataType` codes used by the exporter. */
export const ONNX_DATA_TYPES = Object.freeze({ FLOAT: 1, INT64: 7 });

/** ONNX `AttributeProto.AttributeType` codes. */
export const ONNX_ATTRIBUTE_TYPES = Object.freeze({ FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 });

let root: protobuf.Root | undefined;

/** The `onnx.ModelProto` message type (built once). */
export function modelProtoType(): protobuf.Type {
  root ??= protobuf.Root.fromJSON(ONNX_SCHEMA_JSON as unknown as protobuf.INamespace);
  return root.lookupType('onnx.ModelProto');
}
