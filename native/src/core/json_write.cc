// The JSON writer: compact (serde_json's form, used in safetensors headers) and indented (Python's
// json.dumps(indent=N) form, used in config.json). Doubles are written in their shortest round-trip form
// as Python's repr does (1e-05, 10000.0, 1e+16), so they read back as the same double, and as numbers.
#include <charconv>
#include <cstdlib>
#include <string>

#include "cohort/errors.h"
#include "core/json_lite.h"

namespace cohort::json {
namespace {

void append_double(std::string& out, double value) {
  char scientific[64];
  const auto sci = std::to_chars(scientific, scientific + sizeof(scientific), value, std::chars_format::scientific);
  if (sci.ec != std::errc()) throw InternalError("cannot format a double for JSON");
  const std::string_view sci_text(scientific, static_cast<size_t>(sci.ptr - scientific));
  const int exponent = std::atoi(std::string(sci_text.substr(sci_text.find('e') + 1)).c_str());
  if (value != 0 && (exponent < -4 || exponent >= 16)) {
    out.append(sci_text);
    return;
  }
  char fixed[64];
  const auto fix = std::to_chars(fixed, fixed + sizeof(fixed), value, std::chars_format::fixed);
  if (fix.ec != std::errc()) throw InternalError("cannot format a double for JSON");
  const std::string_view fixed_text(fixed, static_cast<size_t>(fix.ptr - fixed));
  out.append(fixed_text);
  if (fixed_text.find('.') == std::string_view::npos) out.append(".0");  // stays a number, not an integer
}

void append_newline(std::string& out, int indent, size_t depth) {
  out.push_back('\n');
  out.append(static_cast<size_t>(indent) * depth, ' ');
}

// indent < 0: compact.
void write(std::string& out, const Value& value, int indent, size_t depth) {
  switch (value.type()) {
    case Type::kNull: out.append("null"); return;
    case Type::kBool: out.append(value.as_bool() ? "true" : "false"); return;
    case Type::kInt: out.append(std::to_string(value.as_int())); return;
    case Type::kDouble: append_double(out, value.as_double()); return;
    case Type::kString: append_quoted(out, value.as_string()); return;
    case Type::kArray:
    case Type::kObject: break;
  }
  const bool is_object = value.is(Type::kObject);
  out.push_back(is_object ? '{' : '[');
  for (size_t i = 0; i < value.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (indent >= 0) append_newline(out, indent, depth + 1);
    if (is_object) {
      append_quoted(out, value.key(i));
      out.append(indent >= 0 ? ": " : ":");
    }
    write(out, value.at(i), indent, depth + 1);
  }
  if (indent >= 0 && value.size() > 0) append_newline(out, indent, depth);
  out.push_back(is_object ? '}' : ']');
}

}  // namespace

void append_quoted(std::string& out, std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (byte < 0x20) {
          out.append("\\u00");
          out.push_back(kDigits[byte >> 4]);
          out.push_back(kDigits[byte & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string write_compact(const Value& value) {
  std::string out;
  write(out, value, -1, 0);
  return out;
}

std::string write_pretty(const Value& value, int indent) {
  if (indent < 0) throw InternalError("write_pretty needs indent >= 0");
  std::string out;
  write(out, value, indent, 0);
  return out;
}

}  // namespace cohort::json
