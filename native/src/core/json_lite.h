// A minimal JSON value, reader and writer for the engine's own file formats: safetensors headers,
// Hugging Face config.json and the dataset manifest. Hostile input is expected: the reader enforces a
// size and a depth limit, rejects duplicate keys, invalid UTF-8, lone surrogates and integers outside
// int64, and reports the byte offset of the first problem. Its memory stays proportional to the input
// (about 24 bytes per scalar, plus the text of strings). Not a general-purpose JSON library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cohort::json {

enum class Type : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

// "null", "a boolean", "an integer", "a number", "a string", "an array", "an object".
const char* type_name(Type type);

// One JSON value. Move-only. Objects keep their members in document (or insertion) order. Accessors on
// the wrong type throw InternalError: callers check type() first and report bad input themselves.
class Value {
 public:
  Value() noexcept;  // null
  Value(Value&& other) noexcept;
  Value& operator=(Value&& other) noexcept;
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;
  ~Value();

  static Value boolean(bool value);
  static Value integer(int64_t value);
  static Value number(double value);  // throws InvalidArgumentError when not finite (JSON has no NaN)
  static Value string(std::string value);
  static Value array();
  static Value object();

  Type type() const noexcept { return type_; }
  bool is(Type type) const noexcept { return type_ == type; }
  bool is_number() const noexcept { return type_ == Type::kInt || type_ == Type::kDouble; }

  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;  // an integer or a number
  const std::string& as_string() const;

  // Arrays and objects: element count; the i-th element or member value; the i-th member key.
  size_t size() const;
  const Value& at(size_t index) const;
  const std::string& key(size_t index) const;
  // The member named `key`, or null when absent (objects only; linear search).
  const Value* find(std::string_view key) const;

  // Builders for documents the engine writes. insert() throws InternalError on a duplicate key (linear
  // search: meant for small objects).
  Value& push_back(Value value);
  Value& insert(std::string key, Value value);

 private:
  friend class Parser;  // appends members unchecked, then checks duplicates once per object
  struct Heap;
  void append_member(std::string key, Value value);
  // Index of the first member (in order) whose key an earlier member already has, or size() if none.
  size_t first_duplicate_member() const;
  Heap& heap(Type expected) const;

  Type type_ = Type::kNull;
  union {
    bool bool_;
    int64_t int_;
    double double_;
  } scalar_{};
  std::unique_ptr<Heap> heap_;  // strings, arrays and objects
};

struct ParseOptions {
  std::string source = "JSON";    // names the document in error messages (a path, "... header")
  size_t max_bytes = 16u << 20;   // longer text is rejected before parsing
  size_t max_depth = 32;          // nesting of arrays and objects
};

// Parses one JSON document (surrounding whitespace allowed). Throws InvalidArgumentError
// "<source>: invalid JSON at byte <offset>: <problem>".
Value parse(std::string_view text, const ParseOptions& options);

// Compact text with no whitespace, members in order (the form serde_json writes). Strings are written as
// UTF-8 with only '"', '\\' and control characters escaped.
std::string write_compact(const Value& value);

// Indented text, members in order, `indent` spaces per level, ": " after keys, no trailing newline (the
// form of Python's json.dumps(indent=N)).
std::string write_pretty(const Value& value, int indent);

// Appends `text` as a quoted JSON string (escaping as write_compact does).
void append_quoted(std::string& out, std::string_view text);

}  // namespace cohort::json
