// Typed reads from parsed JSON documents with error messages that name the document and the field:
// "Expected an integer in [1, 1048576] for seqLen in /data/manifest.json but received \"2048\"".
// Every failure is an InvalidArgumentError (the document is input, not engine state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_lite.h"

namespace cohort::json {

// A short rendering of a value for messages: strings quoted (and cut at 64 bytes), numbers and literals
// as written, arrays and objects by type.
std::string describe(const Value& value);

// An integer in [min, max] (a JSON integer, never a fraction); `what` names it in the error.
int64_t checked_integer(const Value& value, int64_t min, int64_t max, std::string_view what);

// Reads the members of one JSON object. `path` locates the object in the document ("" for the root,
// "shards[2]", "tokenizer"); `document` names the file.
class ObjectReader {
 public:
  // Throws unless `value` is an object.
  ObjectReader(const Value& value, std::string path, std::string document);

  const Value& value() const { return value_; }
  const Value* optional(std::string_view key) const;
  const Value& required(std::string_view key) const;
  int64_t integer(std::string_view key, int64_t min, int64_t max) const;
  double number(std::string_view key) const;
  bool boolean(std::string_view key) const;
  const std::string& string(std::string_view key) const;
  const Value& array(std::string_view key) const;
  ObjectReader object(std::string_view key) const;

  // "<path>.<key> in <document>" (or "<key> in <document>" at the root).
  std::string field(std::string_view key) const;
  // "<path> in <document>", or "<document>" at the root.
  std::string self() const;

 private:
  const Value& typed(std::string_view key, Type type) const;

  const Value& value_;
  std::string path_;
  std::string document_;
};

}  // namespace cohort::json
