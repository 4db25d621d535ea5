// Stable names of the codec's reason codes (see cohort/codec/reason.h).
#include "cohort/codec/reason.h"

namespace cohort::codec {

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::kBadMagic: return "BAD_MAGIC";
    case Reason::kUnsupportedVersion: return "UNSUPPORTED_VERSION";
    case Reason::kBadFlags: return "BAD_FLAGS";
    case Reason::kBadCodecParams: return "BAD_CODEC_PARAMS";
    case Reason::kTooLarge: return "TOO_LARGE";
    case Reason::kTruncated: return "TRUNCATED";
    case Reason::kTrailingBytes: return "TRAILING_BYTES";
    case Reason::kBadRunId: return "BAD_RUN_ID";
    case Reason::kWrongRun: return "WRONG_RUN";
    case Reason::kWrongWindow: return "WRONG_WINDOW";
    case Reason::kWrongHotkey: return "WRONG_HOTKEY";
    case Reason::kBadTensorTable: return "BAD_TENSOR_TABLE";
    case Reason::kTooManyTensors: return "TOO_MANY_TENSORS";
    case Reason::kWrongModel: return "WRONG_MODEL";
    case Reason::kSizeMismatch: return "SIZE_MISMATCH";
    case Reason::kBadQuantParams: return "BAD_QUANT_PARAMS";
    case Reason::kIndexOutOfRange: return "INDEX_OUT_OF_RANGE";
    case Reason::kIndexRepeated: return "INDEX_REPEATED";
    case Reason::kIndexOrder: return "INDEX_ORDER";
    case Reason::kBadPadding: return "BAD_PADDING";
    case Reason::kBadHash: return "BAD_HASH";
    case Reason::kBadSignature: return "BAD_SIGNATURE";
    case Reason::kBadContributors: return "BAD_CONTRIBUTORS";
    case Reason::kBadValue: return "BAD_VALUE";
    case Reason::kWrongState: return "WRONG_STATE";
  }
  return "UNKNOWN";
}

}  // namespace cohort::codec
