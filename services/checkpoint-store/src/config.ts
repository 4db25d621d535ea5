import { commonFields, defineConfig, field } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/** checkpoint-store configuration: backend choice, where objects live, limits. */
export const configSpec = defineConfig('checkpoint-store', {
  ...commonFields({ grpc: 50053, metrics: 9103 }),
  backend: field.enum({
    doc: 'Object storage backend of this operator bucket',
    default: 'filesystem',
    values: ['filesystem', 's3'] as const,
  }),
  fsRoot: field.string({ doc: 'Root directory of the filesystem backend', default: './.cohort/store' }),
  s3Endpoint: field.string({
    doc: 'S3 endpoint (https://host:port) for the s3 backend',
    default: '',
    allowEmpty: true,
  }),
  s3Bucket: field.string({ doc: 'Bucket name for the s3 backend', default: '', allowEmpty: true }),
  s3Region: field.string({ doc: 'Bucket region', default: 'us-east-1' }),
  s3PathStyle: field.bool({ doc: 'Path-style addressing (MinIO, RADOS Gateway)', default: true }),
  s3AccessKeyId: field.secret({ doc: 'Write access key id of this operator bucket', optional: true }),
  s3SecretAccessKey: field.secret({ doc: 'Write secret access key of this operator bucket', optional: true }),
  maxObjectBytes: field.int({
    doc: 'Largest object accepted by Put',
    default: 64 * 1024 * 1024 * 1024,
    min: 1024,
    max: 1024 ** 4,
    unit: 'bytes',
  }),
});

export type Config = ConfigOf<typeof configSpec.fields>;
