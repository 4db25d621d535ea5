// json::Value: construction, typed access and builders (see core/json_lite.h).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "cohort/errors.h"
#include "core/json_lite.h"

namespace cohort::json {

// Out-of-line storage keeps a Value at 24 bytes: strings use `text`, arrays `items`, objects `items`
// and `keys` side by side.
struct Value::Heap {
  std::string text;
  std::vector<Value> items;
  std::vector<std::string> keys;
};

const char* type_name(Type type) {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "a boolean";
    case Type::kInt: return "an integer";
    case Type::kDouble: return "a number";
    case Type::kString: return "a string";
    case Type::kArray: return "an array";
    case Type::kObject: return "an object";
  }
  return "an unknown JSON type";
}

Value::Value() noexcept = default;
Value::Value(Value&& other) noexcept = default;
Value& Value::operator=(Value&& other) noexcept = default;
Value::~Value() = default;

Value Value::boolean(bool value) {
  Value v;
  v.type_ = Type::kBool;
  v.scalar_.bool_ = value;
  return v;
}

Value Value::integer(int64_t value) {
  Value v;
  v.type_ = Type::kInt;
  v.scalar_.int_ = value;
  return v;
}

Value Value::number(double value) {
  if (!std::isfinite(value)) {
    throw InvalidArgumentError(expected_message("a finite number", "a JSON value", std::to_string(value)));
  }
  Value v;
  v.type_ = Type::kDouble;
  v.scalar_.double_ = value;
  return v;
}

Value Value::string(std::string value) {
  Value v;
  v.type_ = Type::kString;
  v.heap_ = std::make_unique<Heap>();
  v.heap_->text = std::move(value);
  return v;
}

Value Value::array() {
  Value v;
  v.type_ = Type::kArray;
  v.heap_ = std::make_unique<Heap>();
  return v;
}

Value Value::object() {
  Value v;
  v.type_ = Type::kObject;
  v.heap_ = std::make_unique<Heap>();
  return v;
}

Value::Heap& Value::heap(Type expected) const {
  if (type_ != expected) {
    throw InternalError(expected_message(type_name(expected), "a JSON accessor", type_name(type_)));
  }
  return *heap_;
}

bool Value::as_bool() const {
  if (type_ != Type::kBool) throw InternalError(expected_message("a boolean", "a JSON accessor", type_name(type_)));
  return scalar_.bool_;
}

int64_t Value::as_int() const {
  if (type_ != Type::kInt) throw InternalError(expected_message("an integer", "a JSON accessor", type_name(type_)));
  return scalar_.int_;
}

double Value::as_double() const {
  if (type_ == Type::kInt) return static_cast<double>(scalar_.int_);
  if (type_ != Type::kDouble) throw InternalError(expected_message("a number", "a JSON accessor", type_name(type_)));
  return scalar_.double_;
}

const std::string& Value::as_string() const { return heap(Type::kString).text; }

size_t Value::size() const {
  if (type_ != Type::kArray && type_ != Type::kObject) {
    throw InternalError(expected_message("an array or an object", "a JSON accessor", type_name(type_)));
  }
  return heap_->items.size();
}

const Value& Value::at(size_t index) const {
  if (index >= size()) throw InternalError("JSON element index " + std::to_string(index) + " out of range");
  return heap_->items[index];
}

const std::string& Value::key(size_t index) const {
  const Heap& h = heap(Type::kObject);
  if (index >= h.keys.size()) throw InternalError("JSON member index " + std::to_string(index) + " out of range");
  return h.keys[index];
}

const Value* Value::find(std::string_view key) const {
  const Heap& h = heap(Type::kObject);
  for (size_t i = 0; i < h.keys.size(); ++i) {
    if (h.keys[i] == key) return &h.items[i];
  }
  return nullptr;
}

Value& Value::push_back(Value value) {
  Heap& h = heap(Type::kArray);
  h.items.push_back(std::move(value));
  return h.items.back();
}

Value& Value::insert(std::string key, Value value) {
  if (find(key) != nullptr) throw InternalError("duplicate JSON key \"" + key + "\" inserted");
  append_member(std::move(key), std::move(value));
  return heap_->items.back();
}

void Value::append_member(std::string key, Value value) {
  Heap& h = heap(Type::kObject);
  h.keys.push_back(std::move(key));
  h.items.push_back(std::move(value));
}

size_t Value::first_duplicate_member() const {
  const std::vector<std::string>& keys = heap(Type::kObject).keys;
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  size_t first = keys.size();
  for (size_t i = 1; i < order.size(); ++i) {
    if (keys[order[i]] == keys[order[i - 1]]) first = std::min(first, order[i]);
  }
  return first;
}

}  // namespace cohort::json
