/** Written to ModelProto.producer_name / producer_version. */
export const HUBEL_PRODUCER = 'hubel';
export const HUBEL_VERSION = '0.1.0';
