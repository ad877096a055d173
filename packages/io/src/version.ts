/** Written to ModelProto.producer_name / producer_version. */
export const HUBEL_PRODUCER = 'hubel';
/** Hubel's version, written as ModelProto.producer_version. */
export const HUBEL_VERSION = '0.1.0';
