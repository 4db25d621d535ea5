// Typed, self-describing reads from parsed JSON (see core/json_fields.h).
#include "core/json_fields.h"

#include <string>
#include <utility>

#include "cohort/errors.h"

namespace cohort::json {

std::string describe(const Value& value) {
  switch (value.type()) {
    case Type::kString: {
      constexpr size_t kMaxShown = 64;
      const std::string& text = value.as_string();
      std::string out;
      append_quoted(out, std::string_view(text).substr(0, kMaxShown));
      if (text.size() > kMaxShown) out.append("...");
      return out;
    }
    case Type::kInt:
    case Type::kDouble:
    case Type::kBool:
    case Type::kNull: return write_compact(value);
    case Type::kArray:
    case Type::kObject: break;
  }
  return type_name(value.type());
}

int64_t checked_integer(const Value& value, int64_t min, int64_t max, std::string_view what) {
  if (!value.is(Type::kInt) || value.as_int() < min || value.as_int() > max) {
    throw InvalidArgumentError(expected_message(
        "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]", what, describe(value)));
  }
  return value.as_int();
}

ObjectReader::ObjectReader(const Value& value, std::string path, std::string document)
    : value_(value), path_(std::move(path)), document_(std::move(document)) {
  if (!value_.is(Type::kObject)) throw InvalidArgumentError(expected_message("an object", self(), describe(value_)));
}

std::string ObjectReader::self() const { return path_.empty() ? document_ : path_ + " in " + document_; }

std::string ObjectReader::field(std::string_view key) const {
  std::string out = path_;
  if (!out.empty()) out.push_back('.');
  out.append(key).append(" in ").append(document_);
  return out;
}

const Value* ObjectReader::optional(std::string_view key) const { return value_.find(key); }

const Value& ObjectReader::required(std::string_view key) const {
  const Value* member = value_.find(key);
  if (member == nullptr) throw InvalidArgumentError(expected_message("a value", field(key), "none"));
  return *member;
}

const Value& ObjectReader::typed(std::string_view key, Type type) const {
  const Value& member = required(key);
  if (!member.is(type)) throw InvalidArgumentError(expected_message(type_name(type), field(key), describe(member)));
  return member;
}

int64_t ObjectReader::integer(std::string_view key, int64_t min, int64_t max) const {
  return checked_integer(required(key), min, max, field(key));
}

double ObjectReader::number(std::string_view key) const {
  const Value& member = required(key);
  if (!member.is_number()) throw InvalidArgumentError(expected_message("a number", field(key), describe(member)));
  return member.as_double();
}

bool ObjectReader::boolean(std::string_view key) const { return typed(key, Type::kBool).as_bool(); }

const std::string& ObjectReader::string(std::string_view key) const {
  return typed(key, Type::kString).as_string();
}

const Value& ObjectReader::array(std::string_view key) const { return typed(key, Type::kArray); }

ObjectReader ObjectReader::object(std::string_view key) const {
  std::string path = path_;
  if (!path.empty()) path.push_back('.');
  path.append(key);
  return ObjectReader(typed(key, Type::kObject), std::move(path), document_);
}

}  // namespace cohort::json
